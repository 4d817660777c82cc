package store

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
)

// Defaults of Options.
const (
	DefaultPrefix     = "wasla"
	DefaultSessionTTL = 30 * 24 * time.Hour
)

// Options configure a Redis store. Zero values get the defaults.
type Options struct {
	// Prefix starts every key (default "wasla"); several deployments can share one Redis
	// with different prefixes. It must not contain braces.
	Prefix string
	// SessionTTL is how long a session lives after its last commit (default 30 days): an
	// idle conversation is forgotten, the profile and the history are not. A session with
	// a timer lives until SessionTTL after the timer. Negative: sessions never expire.
	SessionTTL time.Duration
	// Retention is how long history entries are kept (default 0: forever). Commit trims a
	// contact's entries older than Retention; an entry inside it is never dropped.
	Retention time.Duration
	// Clock measures session expiry and history retention (default: the wall clock).
	Clock engine.Clock
}

// Redis is an engine.Store on Redis. It is safe for concurrent use; it never closes the
// client it was given.
type Redis struct {
	client     redis.UniversalClient
	prefix     string
	sessionTTL time.Duration
	retention  time.Duration
	clock      engine.Clock
}

var _ engine.Store = (*Redis)(nil)

//go:embed commit.lua
var commitSource string

// commitScript runs with EVALSHA and falls back to EVAL when the server (or, on a cluster,
// the node owning the slot) has not cached it yet.
var commitScript = redis.NewScript(commitSource)

// New returns a store over client. It does no I/O.
func New(client redis.UniversalClient, opts Options) (*Redis, error) {
	if client == nil {
		return nil, errors.New("store: nil redis client")
	}
	r := &Redis{
		client:     client,
		prefix:     cmp.Or(opts.Prefix, DefaultPrefix),
		sessionTTL: cmp.Or(opts.SessionTTL, DefaultSessionTTL),
		retention:  opts.Retention,
		clock:      opts.Clock,
	}
	if r.clock == nil {
		r.clock = clock.Real{}
	}
	if err := validPrefix(r.prefix); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if r.retention < 0 {
		return nil, fmt.Errorf("store: negative history retention %v", r.retention)
	}
	return r, nil
}

// Load returns the contact's state in one MULTI/EXEC round trip, so profile, version and
// session are read at one instant. An unknown contact gets Version 0 and Contact.ID = id;
// an expired session comes back empty with the profile and version intact.
func (r *Redis) Load(ctx context.Context, id chat.ContactID) (*engine.State, error) {
	if id == "" {
		return nil, errors.New("store: load: empty contact id")
	}
	k := r.keysOf(id)
	var profile *redis.SliceCmd
	var session *redis.StringCmd
	_, err := r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		profile = p.HMGet(ctx, k.contact, "v", "p")
		session = p.Get(ctx, k.session)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: loading contact: %w", err)
	}
	st := &engine.State{Contact: engine.Contact{ID: id}}
	vals := profile.Val()
	if v, ok := vals[0].(string); ok {
		if st.Version, err = strconv.ParseInt(v, 10, 64); err != nil {
			return nil, fmt.Errorf("store: loading contact: bad version %q: %w", v, err)
		}
	}
	if p, ok := vals[1].(string); ok {
		if err := json.Unmarshal([]byte(p), &st.Contact); err != nil {
			return nil, fmt.Errorf("store: loading contact: decoding profile: %w", err)
		}
	}
	if s, err := session.Result(); err == nil {
		if err := json.Unmarshal([]byte(s), &st.Session); err != nil {
			return nil, fmt.Errorf("store: loading contact: decoding session: %w", err)
		}
	} else if !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: loading contact: %w", err)
	}
	return st, nil
}

// Commit stores st and appends history in one Lua script call (one round trip): it checks
// the version, appends the events to the history stream, writes profile and session and
// moves the contact in its bucket's timer index to the session's NextDue, or removes it.
// On a version mismatch it writes nothing and returns an error wrapping engine.ErrConflict.
// On success st.Version is the new version. Events without a contact get st's, events
// without a time get the store clock's; an event of another contact is an error.
func (r *Redis) Commit(ctx context.Context, st *engine.State, history []chat.Event) error {
	if st == nil || st.Contact.ID == "" {
		return errors.New("store: commit: state without contact id")
	}
	id := st.Contact.ID
	profile, err := json.Marshal(st.Contact)
	if err != nil {
		return fmt.Errorf("store: commit: encoding profile: %w", err)
	}
	session, err := json.Marshal(st.Session)
	if err != nil {
		return fmt.Errorf("store: commit: encoding session: %w", err)
	}
	if bytes.Equal(session, []byte("{}")) {
		session = nil // nothing to keep; the script deletes the key
	}
	now := r.clock.Now()
	due := st.Session.NextDue()

	args := make([]any, 0, 7+2*len(history))
	args = append(args,
		st.Version,
		profile,
		string(session), // "" deletes the session
		r.sessionTTLAt(now, due).Milliseconds(),
		string(id),
		dueScore(due),
		r.trimBelow(now),
	)
	for i := range history {
		ev := history[i]
		if ev.Contact == "" {
			ev.Contact = id
		} else if ev.Contact != id {
			return fmt.Errorf("store: commit: history event %d belongs to another contact", i)
		}
		if ev.At.IsZero() {
			ev.At = now
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("store: commit: encoding history event %d: %w", i, err)
		}
		args = append(args, eventMillis(ev.At), b)
	}

	k := r.keysOf(id)
	res, err := commitScript.Run(ctx, r.client, []string{k.contact, k.session, k.history, k.due}, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if len(res) != 2 {
		return fmt.Errorf("store: commit: script returned %v", res)
	}
	if res[0] == 0 {
		return fmt.Errorf("store: commit: %w (loaded version %d, stored %d)", engine.ErrConflict, st.Version, res[1])
	}
	st.Version = res[1]
	return nil
}

// sessionTTLAt is the session's lifetime from now: the idle time, plus the time until the
// session's timer so that a long wait outlives the idle time. Zero means no expiry.
func (r *Redis) sessionTTLAt(now, due time.Time) time.Duration {
	if r.sessionTTL < 0 {
		return 0
	}
	ttl := r.sessionTTL
	if due.After(now) {
		ttl += due.Sub(now)
	}
	return max(ttl, time.Millisecond)
}

// trimBelow is the stream id below which history may go, or "" to keep everything.
func (r *Redis) trimBelow(now time.Time) string {
	if r.retention == 0 {
		return ""
	}
	return strconv.FormatInt(max(now.Add(-r.retention).UnixMilli(), 0), 10)
}

// dueScore is the timer index score of due, or "" when there is no timer.
func dueScore(due time.Time) string {
	if due.IsZero() {
		return ""
	}
	return strconv.FormatInt(due.UnixMilli(), 10)
}

// eventMillis is the stream time of an event: its time in unix ms, never before the Unix
// epoch (stream ids cannot be negative).
func eventMillis(at time.Time) string {
	return strconv.FormatInt(max(at.UnixMilli(), 0), 10)
}

// Due returns up to limit contacts whose earliest timer is at or before now, earliest first.
// It reads every bucket's index in one pipeline (on a cluster, one round trip per master,
// in parallel) and leaves the entries in place: the next Commit of each contact moves or
// removes its entry.
func (r *Redis) Due(ctx context.Context, now time.Time, limit int) ([]chat.ContactID, error) {
	if limit <= 0 {
		return nil, nil
	}
	upTo := strconv.FormatInt(now.UnixMilli(), 10)
	cmds := make([]*redis.ZSliceCmd, Buckets)
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := range Buckets {
			cmds[b] = p.ZRangeByScoreWithScores(ctx, r.dueKey(b), &redis.ZRangeBy{
				Min: "-inf", Max: upTo, Count: int64(limit),
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reading due timers: %w", err)
	}
	var due []redis.Z
	for _, c := range cmds {
		due = append(due, c.Val()...)
	}
	slices.SortFunc(due, func(a, b redis.Z) int {
		return cmp.Or(cmp.Compare(a.Score, b.Score), cmp.Compare(a.Member.(string), b.Member.(string)))
	})
	ids := make([]chat.ContactID, 0, min(limit, len(due)))
	for _, z := range due[:min(limit, len(due))] {
		ids = append(ids, chat.ContactID(z.Member.(string)))
	}
	return ids, nil
}
