package store

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
)

// Defaults of Options.
const (
	DefaultPrefix     = "wasla"
	DefaultSessionTTL = 30 * 24 * time.Hour
	// DefaultDedupePeriod is how long an inbound message id is remembered: the span over
	// which Meta retries a webhook delivery.
	DefaultDedupePeriod = 7 * 24 * time.Hour
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
	// DedupePeriod is how long Commit remembers the id of every inbound message it stored
	// (default 7 days): a commit whose history holds an id seen within it is refused with
	// contact.ErrDuplicate. Negative: no deduplication.
	DedupePeriod time.Duration
	// Clock measures session expiry, history retention and the dedupe period (default: the
	// wall clock).
	Clock clock.Clock
	// Logger receives what the store and the intake recover from by themselves, and the
	// dead letters (default: discard).
	Logger *slog.Logger

	// Outbox makes Commit queue the message of every outbound and agent event it stores in
	// the contact's outbox, atomically with the state and the history, for an Outbox to
	// send: what a turn will send survives a crash of the process that committed it. Off,
	// the engine's Sender sends replies after the commit, and a crash between the two loses
	// them.
	Outbox bool
	// SendLease is how long an outbox sender holds a contact's outbox without extending it
	// (default 5 seconds): after a replica dies, the replies it was sending wait this long
	// for another. The sender extends it every third of it while it sends.
	SendLease time.Duration

	// The intake queue's options (NewIntake); the store ignores them.

	// Lease is how long an intake worker holds a contact without extending it (default 5
	// seconds): after a replica dies, its contacts wait this long for another worker. The
	// worker extends it every third of it while it works, so a slow handler keeps it; only
	// a process that stopped (or cannot reach Redis) loses it.
	Lease time.Duration
	// Poll is how often the intake scans the ready index for contacts queued by other
	// replicas or left by a dead one (default 500ms).
	Poll time.Duration
	// MaxAttempts is how often a failing message is handled before it becomes a dead letter
	// (default 5).
	MaxAttempts int
	// RetryBackoff is the wait before the second attempt; each further one doubles it, up
	// to 30 seconds (default 200ms).
	RetryBackoff time.Duration
}

// Redis keeps contact state (the engine's Store) on Redis. It is safe for concurrent use; it never closes the
// client it was given.
type Redis struct {
	client     redis.UniversalClient
	prefix     string
	sessionTTL time.Duration
	retention  time.Duration
	dedupe     time.Duration // <= 0: off
	clock      clock.Clock
	log        *slog.Logger
	out        *outboxLink // nil: Commit queues nothing
}

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
		dedupe:     cmp.Or(opts.DedupePeriod, DefaultDedupePeriod),
		clock:      opts.Clock,
		log:        opts.Logger,
	}
	if opts.Outbox {
		r.out = newOutboxLink(cmp.Or(opts.SendLease, DefaultSendLease))
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
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

// Load returns the contact's state in one round trip, a script, so profile, version and
// session are read at one instant. An unknown contact gets Version 0 and Contact.ID = id;
// an expired session comes back empty with the profile and version intact. (An intake
// handler's Tx.Load usually costs no round trip at all.)
func (r *Redis) Load(ctx context.Context, id chat.ContactID) (*contact.State, error) {
	if id == "" {
		return nil, errors.New("store: load: empty contact id")
	}
	k := r.keysOf(id)
	res, err := loadScript.Run(ctx, r.client, []string{k.contact, k.session}).Text()
	if err != nil {
		return nil, fmt.Errorf("store: loading contact: %w: %w", ErrUnavailable, err)
	}
	v, rest, _ := strings.Cut(res, " ")
	n, rest, _ := strings.Cut(rest, " ")
	size, err := strconv.Atoi(n)
	if err != nil || size > len(rest) {
		return nil, fmt.Errorf("store: loading contact: bad reply %.40q", res)
	}
	p, s := rest[:size], rest[size:]
	version, err := parseVersion(v)
	if err != nil {
		return nil, err
	}
	return decodeState(id, version, p, s)
}

// loadScript reads what Load returns (load.lua). A script rather than MULTI/EXEC: one
// command to send and one reply to read, which is most of what a Load costs the client.
//
//go:embed load.lua
var loadSource string
var loadScript = redis.NewScript(loadSource)

// parseVersion reads the contact hash's v field; "" (no field) is version 0.
func parseVersion(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("store: loading contact: bad version %q: %w", v, err)
	}
	return n, nil
}

// decodeState builds a contact's state from what Redis holds: the version, the profile
// JSON and the session JSON, "" for each that is not stored.
func decodeState(id chat.ContactID, version int64, profile, session string) (*contact.State, error) {
	st := &contact.State{Contact: contact.Contact{ID: id}, Version: version}
	if profile != "" {
		if err := contact.DecodeContact(profile, &st.Contact); err != nil {
			return nil, fmt.Errorf("store: loading contact: %w", err)
		}
	}
	if session != "" {
		if err := contact.DecodeSession(session, &st.Session); err != nil {
			return nil, fmt.Errorf("store: loading contact: %w", err)
		}
	}
	return st, nil
}

// Commit stores st and appends history in one Lua script call (one round trip): it checks
// the fence, the inbound message ids and the version, appends the events to the history
// stream, writes profile and session, records the contact in its bucket's contact index and
// the inbound ids in its seen set, and moves the contact in its bucket's timer index to the
// session's NextDue, or removes it.
//
// It writes nothing and returns an error wrapping contact.ErrConflict on a version mismatch,
// contact.ErrDuplicate when an inbound message of history was committed within the dedupe
// period (and, for a Tx, ErrFenced when its lease is gone). On
// success st.Version is the new version. Events without a contact get st's, events without
// a time get the store clock's; an event of another contact is an error.
//
// When the profile carries Meta's user id and its mapping to the contact is not written
// yet, Commit writes it after the script (two more round trips, once per contact).
//
// An intake handler commits through its Tx instead, which also checks the lease and
// acknowledges the message being handled.
func (r *Redis) Commit(ctx context.Context, st *contact.State, history []chat.Event) error {
	return r.commit(ctx, st, history, nil)
}

// commit is Commit under the fence and with the acknowledgement of tx, nil for none.
func (r *Redis) commit(ctx context.Context, st *contact.State, history []chat.Event, tx *Tx) error {
	if st == nil || st.Contact.ID == "" {
		return errors.New("store: commit: state without contact id")
	}
	id := st.Contact.ID
	now := r.clock.Now()
	due := st.Session.NextDue()

	var inbound []string
	for i := range history {
		if id := history[i].DeliveryID(); id != "" {
			inbound = append(inbound, id)
		}
	}
	token, ack, leaseMS := tx.fence(), tx.ackFor(inbound), tx.leaseMillis()
	sendToken, sendLeaseMS := r.out.grabToken()

	// With an outbox the replies are queued in the commit, in order, so the commit that
	// finds the inbox empty may release the contact at once: the next message of the
	// contact, whoever handles it, queues its replies behind these. Without one the engine
	// sends after the commit, and the worker must keep the contact until it did.
	release := r.out != nil && ack != ""

	// All the numbers and strings go packed in one argument (commit.lua), since each
	// argument costs the client an allocation: the numbers first, separated by spaces, then
	// a newline, then the strings, each after its length in eight digits — profile and
	// session in their compact encoding, contact id, fencing token, user id, the message to
	// acknowledge, the outbox token, the inbound message ids. One buffer turned into one string, which the Tx's
	// reused state also cuts from.
	blob := make([]byte, 0, 768+len(ack)+16*len(history))
	blob = appendNum(blob, st.Version, true)
	blob = appendNum(blob, r.sessionTTLAt(now, due).Milliseconds(), true)
	blob = appendNum(blob, due.UnixMilli(), !due.IsZero())
	blob = appendNum(blob, max(now.Add(-r.retention).UnixMilli(), 0), r.retention != 0)
	blob = appendNum(blob, now.UnixMilli(), true)
	blob = appendNum(blob, now.Add(-r.dedupe).UnixMilli(), r.dedupe > 0)
	blob = appendNum(blob, max(r.dedupe.Milliseconds(), 1), true)
	blob = appendNum(blob, leaseMS, true)
	blob = appendNum(blob, sendLeaseMS, true)
	blob = appendNum(blob, 1, release)
	blob = appendNum(blob, int64(len(inbound)), true)

	args := make([]any, 0, 1+2*len(history))
	args = append(args, nil) // the blob, below
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
		b, err := marshalStored(ev)
		if err != nil {
			return fmt.Errorf("store: commit: encoding history event %d: %w", i, err)
		}
		send, err := r.out.entry(ev)
		if err != nil {
			return fmt.Errorf("store: commit: encoding the message of history event %d: %w", i, err)
		}
		blob = appendNum(blob, max(ev.At.UnixMilli(), 0), true) // entry ids cannot be negative
		args = append(args, b, send)
	}
	blob = append(blob, '\n')

	// The contact id is the key's: the profile leaves it out, and decodeState sets it.
	c := st.Contact
	c.ID = ""
	blob = append(blob, sizeSlot...)
	p0 := len(blob)
	blob = contact.AppendContact(blob, &c)
	plen := setSize(blob, p0)
	blob = append(blob, sizeSlot...)
	s0 := len(blob)
	blob, err := contact.AppendSession(blob, &st.Session)
	if err != nil {
		return fmt.Errorf("store: commit: encoding session: %w", err)
	}
	if bytes.Equal(blob[s0:], emptySession) {
		blob = blob[:s0] // nothing to keep; the script deletes the key
	}
	slen := setSize(blob, s0)
	for _, f := range [...]string{string(id), token, st.Contact.UserID, ack, sendToken} {
		blob = appendSized(blob, f)
	}
	for _, in := range inbound {
		blob = appendSized(blob, in)
	}
	encoded := string(blob)
	args[0] = encoded
	profile, session := encoded[p0:p0+plen], encoded[s0:s0+slen]

	k := r.keysOf(id)
	// The keys the commit may touch (commit.lua): the outbox's only with an outbox, the
	// intake's only under a fence. Each key costs the client an allocation.
	keys := [...]string{k.contact, k.session, k.history, k.due, k.seen, k.contacts,
		k.outbox, k.outq, k.olease, k.ostate, k.lease, k.inbox, k.queued, k.ready}
	n := 6
	switch {
	case token != "":
		n = 14
	case r.out != nil:
		n = 10
	}
	res, err := commitScript.Run(ctx, r.client, keys[:n], args...).Slice()
	if err != nil {
		tx.drop() // the commit may have gone through
		return fmt.Errorf("store: commit: %w: %w", ErrUnavailable, err)
	}
	status, _ := intAt(res, 0)
	if status != 1 && status != 2 {
		tx.drop()
	}
	switch status {
	case 1:
		version, ok := intAt(res, 1)
		if !ok {
			return fmt.Errorf("store: commit: script returned %v", res)
		}
		st.Version = version
		tx.set(version, profile, session)
		tx.acknowledged(ackAt(res, 6))
		if head, _ := stringAt(res, 3); head != "" {
			started, _ := intAt(res, 4)
			answered, _ := intAt(res, 5)
			r.out.handOff(sendClaim{contact: id, token: sendToken, head: head, started: started, answered: answered})
		}

		if m, _ := intAt(res, 2); m == 1 {
			// The commit stands whatever happens here: failing it now would make the
			// engine drop replies to a message that is stored. The mapping is not marked
			// written, so the contact's next commit tries again.
			if err := r.mapUser(ctx, k.contact, st.Contact.UserID, id); err != nil {
				r.log.Warn("store: user id mapping not written; the next commit retries",
					slog.String("contact", id.Redacted()), slog.Any("err", err))
			}
		}
		return nil
	case 0:
		stored, _ := intAt(res, 1)
		return fmt.Errorf("store: commit: %w (loaded version %d, stored %d)", contact.ErrConflict, st.Version, stored)
	case 2:
		msg, _ := stringAt(res, 1)
		tx.acknowledged(ackAt(res, 2))
		return fmt.Errorf("store: commit: %w: message %s", contact.ErrDuplicate, msg)
	case 3:
		return fmt.Errorf("store: commit: %w", ErrFenced)
	}
	return fmt.Errorf("store: commit: script returned %v", res)
}

// mapUser writes the user id's mapping to the contact, then records in the contact hash that
// it did. The order matters: the mapping lives in another slot, so the two writes cannot be
// one script; a crash between them leaves u unset and the next commit writes the mapping
// again (it is idempotent), while the reverse order could leave u set and no mapping.
func (r *Redis) mapUser(ctx context.Context, contactKey, userID string, id chat.ContactID) error {
	if err := r.client.Set(ctx, r.userKey(userID), string(id), 0).Err(); err != nil {
		return fmt.Errorf("writing the user id mapping: %w", err)
	}
	if err := r.client.HSet(ctx, contactKey, "u", userID).Err(); err != nil {
		return fmt.Errorf("recording the user id mapping: %w", err)
	}
	return nil
}

// appendNum appends n and a space to the commit's packed numbers, or "_ " when !ok.
func appendNum(b []byte, n int64, ok bool) []byte {
	if ok {
		b = strconv.AppendInt(b, n, 10)
	} else {
		b = append(b, '_')
	}
	return append(b, ' ')
}

// appendSized appends s after its length (sizeSlot).
func appendSized(b []byte, s string) []byte {
	b = append(b, sizeSlot...)
	at := len(b)
	b = append(b, s...)
	setSize(b, at)
	return b
}

// sizeSlot is where a string packed into the commit's arguments gets its length (setSize).
const sizeSlot = "00000000 "

// setSize writes into the slot before b[at:] the length of b[at:], and returns it.
func setSize(b []byte, at int) int {
	n := len(b) - at
	for i, m := at-2, n; i >= at-len(sizeSlot); i, m = i-1, m/10 {
		b[i] = byte('0' + m%10)
	}
	return n
}

// emptySession is the encoding of a session with nothing in it.
var emptySession, _ = contact.AppendSession(nil, &contact.Session{})

// intAt returns element i of a script reply as an integer.
func intAt(res []any, i int) (int64, bool) {
	if i >= len(res) {
		return 0, false
	}
	n, ok := res[i].(int64)
	return n, ok
}

// ackAt reads the acknowledgement the commit script appends to its reply from element i:
// the flag, then the next queued message when there is one.
func ackAt(res []any, i int) (ack int64, next string, more bool) {
	ack, _ = intAt(res, i)
	next, more = stringAt(res, i+1)
	return ack, next, more
}

// stringAt returns element i of a script reply as a string.
func stringAt(res []any, i int) (string, bool) {
	if i >= len(res) {
		return "", false
	}
	s, ok := res[i].(string)
	return s, ok
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
