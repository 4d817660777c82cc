package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// ConvState is where a conversation stands in the inbox.
type ConvState string

// Conversation states.
const (
	StateWaiting  ConvState = "waiting"  // handed off, nobody has claimed it
	StateAssigned ConvState = "assigned" // an agent has it
	StateClosed   ConvState = "closed"   // released to the bot or closed by an agent
)

// Conversation is the inbox's record of one contact's handed-off conversation. The
// contact's messages stay in the engine's history; the record holds what the inbox adds.
type Conversation struct {
	Contact  chat.ContactID `json:"contact"`
	Name     string         `json:"name,omitempty"`
	Queue    string         `json:"queue"`
	State    ConvState      `json:"state"`
	Assignee string         `json:"assignee,omitempty"`
	// Unread counts the customer's messages since an agent last opened the thread. It is
	// the inbox's own count: opening a thread sends no read receipt to WhatsApp.
	Unread int      `json:"unread"`
	Labels []string `json:"labels,omitempty"`
	// Opened is when the bot handed the conversation off.
	Opened time.Time `json:"opened"`
	// FirstReply is when an agent first answered after the hand-off; zero: not yet.
	FirstReply time.Time `json:"first_reply,omitzero"`
	// Awaiting is when the oldest customer message that no agent has answered yet came.
	Awaiting time.Time `json:"awaiting,omitzero"`
	// LastInbound, LastMessageID and LastNumber are the customer's latest message: its
	// time (the 24-hour window runs from it), its id and the number it came to (a read
	// receipt on claim names them).
	LastInbound   time.Time     `json:"last_inbound,omitzero"`
	LastMessageID string        `json:"last_message_id,omitempty"`
	LastNumber    chat.NumberID `json:"last_number,omitempty"`
	// Preview is the start of the latest message either way, for the list.
	Preview      string    `json:"preview,omitempty"`
	ClosedReason string    `json:"closed_reason,omitempty"`
	Updated      time.Time `json:"updated"`
	// Version counts the record's changes; every write compares it, so no change is lost.
	Version int64 `json:"version"`
}

// Note is an agent's internal note on a conversation; the customer never sees it.
type Note struct {
	Agent string    `json:"agent"`
	Text  string    `json:"text"`
	At    time.Time `json:"at"`
}

// records reads and writes conversation records in Redis. Keys (docs/inbox.md):
//
//	<prefix>:{c:<contact>}:conv   hash: v (version), c (Conversation JSON)
//	<prefix>:{c:<contact>}:notes  list: Note JSON, oldest first
//	<prefix>:index                sorted set: contact scored by the record's last change (unix ms)
//	<prefix>:events               stream: one entry per change, field e (Event JSON)
//
// A record's keys share the contact's hash tag; the index and the stream are single keys.
type records struct {
	rdb    redis.UniversalClient
	prefix string
}

func (r *records) convKey(id chat.ContactID) string {
	return r.prefix + ":{c:" + string(id) + "}:conv"
}

func (r *records) notesKey(id chat.ContactID) string {
	return r.prefix + ":{c:" + string(id) + "}:notes"
}

func (r *records) indexKey() string  { return r.prefix + ":index" }
func (r *records) eventsKey() string { return r.prefix + ":events" }

// saveScript writes a record if its stored version is still the one it was read at.
var saveScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', v + 1, 'c', ARGV[2])
return 1
`)

// errStale is returned by save when another writer changed the record first.
var errStale = errors.New("conversation changed since it was read")

// ErrNotFound is returned for a contact the inbox holds no conversation of.
var ErrNotFound = errors.New("no such conversation")

func (r *records) get(ctx context.Context, id chat.ContactID) (*Conversation, error) {
	m, err := r.rdb.HGetAll(ctx, r.convKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("reading conversation: %w", err)
	}
	return decodeConv(id, m)
}

func decodeConv(id chat.ContactID, m map[string]string) (*Conversation, error) {
	if len(m) == 0 {
		return nil, ErrNotFound
	}
	var c Conversation
	if err := json.Unmarshal([]byte(m["c"]), &c); err != nil {
		return nil, fmt.Errorf("decoding conversation of %s: %w", id.Redacted(), err)
	}
	v, err := strconv.ParseInt(m["v"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("decoding conversation of %s: version %q: %w", id.Redacted(), m["v"], err)
	}
	c.Version = v
	return &c, nil
}

// save stores c if nobody changed it since it was read at c.Version, then indexes it.
// On success c.Version is the new version.
func (r *records) save(ctx context.Context, c *Conversation) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding conversation: %w", err)
	}
	ok, err := saveScript.Run(ctx, r.rdb, []string{r.convKey(c.Contact)}, c.Version, b).Int()
	if err != nil {
		return fmt.Errorf("storing conversation: %w", err)
	}
	if ok == 0 {
		return errStale
	}
	c.Version++
	// The index is another key (another cluster slot), so it is written after the record;
	// ZADD is idempotent, and the next change of the record writes it again.
	if err := r.rdb.ZAdd(ctx, r.indexKey(), redis.Z{Score: float64(c.Updated.UnixMilli()), Member: string(c.Contact)}).Err(); err != nil {
		return fmt.Errorf("indexing conversation: %w", err)
	}
	return nil
}

// updateAttempts bounds the re-runs of an update that met a concurrent writer.
const updateAttempts = 8

// update applies fn to the stored record (a fresh one with Version 0 when create is set
// and none exists) and saves it, re-running fn on a fresh read when another writer came
// first. fn returning an error abandons the update with that error.
func (r *records) update(ctx context.Context, id chat.ContactID, create bool, fn func(*Conversation) error) (*Conversation, error) {
	for attempt := 1; ; attempt++ {
		c, err := r.get(ctx, id)
		if errors.Is(err, ErrNotFound) && create {
			c, err = &Conversation{Contact: id}, nil
		}
		if err != nil {
			return nil, err
		}
		if err := fn(c); err != nil {
			return nil, err
		}
		err = r.save(ctx, c)
		if errors.Is(err, errStale) && attempt < updateAttempts {
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// list returns up to limit records, the most recently changed first.
func (r *records) list(ctx context.Context, limit int64) ([]*Conversation, error) {
	ids, err := r.rdb.ZRevRange(ctx, r.indexKey(), 0, limit-1).Result()
	if err != nil {
		return nil, fmt.Errorf("listing conversations: %w", err)
	}
	// One round trip for all the records; on a cluster go-redis splits the pipeline by slot.
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, r.convKey(chat.ContactID(id)))
	}
	if len(ids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("listing conversations: %w", err)
		}
	}
	out := make([]*Conversation, 0, len(ids))
	for i, cmd := range cmds {
		c, err := decodeConv(chat.ContactID(ids[i]), cmd.Val())
		if errors.Is(err, ErrNotFound) {
			continue // expired or removed since it was indexed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (r *records) addNote(ctx context.Context, id chat.ContactID, n Note) error {
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encoding note: %w", err)
	}
	if err := r.rdb.RPush(ctx, r.notesKey(id), b).Err(); err != nil {
		return fmt.Errorf("storing note: %w", err)
	}
	return nil
}

func (r *records) notes(ctx context.Context, id chat.ContactID) ([]Note, error) {
	raw, err := r.rdb.LRange(ctx, r.notesKey(id), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("reading notes: %w", err)
	}
	out := make([]Note, 0, len(raw))
	for _, s := range raw {
		var n Note
		if err := json.Unmarshal([]byte(s), &n); err != nil {
			return nil, fmt.Errorf("decoding note: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}
