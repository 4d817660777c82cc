package store

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
)

// carried is what an intake worker shares with the store while it drains one contact,
// through its handler's context, so that a message costs two round trips and not five:
//
//   - the message being handled, so that the Commit that stores it also acknowledges it and
//     fetches the next one in the same script;
//   - the contact's state as the claim read it or the last commit wrote it, so that Load
//     returns it without reading Redis again.
//
// The state may be stale when something without the lease committed the contact meanwhile
// (a timer, an agent reply): the next commit is then refused as a conflict, which drops the
// carried state, and the engine's retry loads from Redis. The handler never sees the
// difference.
//
// It lives in a private context key and never leaves the package: the engine's API is
// unchanged.
type carried struct {
	prefix  string // the key prefix of the intake; a store with another prefix ignores it
	contact chat.ContactID
	lease   time.Duration // the intake's lease, renewed by each acknowledgement

	mu sync.Mutex
	// The message being handled: its stored JSON (what the inbox holds) and its id.
	raw, msgID string
	// What the last commit that acknowledged the message answered: whether it did, and the
	// next queued message, if any.
	acked bool
	next  string
	more  bool
	// The contact's state, encoded as Redis holds it; valid is false when there is none
	// to trust.
	valid   bool
	version int64
	profile string // "" when none is stored
	session string // "" when none is stored
}

// carriedKey is the private context key of a *carried.
type carriedKey struct{}

func withCarried(ctx context.Context, c *carried) context.Context {
	return context.WithValue(ctx, carriedKey{}, c)
}

// carriedFor returns what ctx carries for contact id of r's key layout, or nil.
func (r *Redis) carriedFor(ctx context.Context, id chat.ContactID) *carried {
	c, _ := ctx.Value(carriedKey{}).(*carried)
	if c == nil || c.contact != id || c.prefix != r.prefix {
		return nil
	}
	return c
}

// leaseMillis is the lease in ms for the commit script; 1 when c is nil (the script then
// acknowledges nothing and ignores it).
func (c *carried) leaseMillis() int64 {
	if c == nil {
		return 1
	}
	return max(c.lease.Milliseconds(), 1)
}

// begin starts the handling of the stored message raw with the given id.
func (c *carried) begin(raw, msgID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw, c.msgID = raw, msgID
	c.acked, c.next, c.more = false, "", false
}

// outcome reports whether a commit acknowledged the message, and the next message it found.
func (c *carried) outcome() (acked bool, next string, more bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked, c.next, c.more
}

// ackFor returns the stored message to acknowledge with a commit whose history holds the
// inbound message ids, or "" when it holds not the one being handled.
func (c *carried) ackFor(inbound []string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.msgID == "" || !slices.Contains(inbound, c.msgID) {
		return ""
	}
	return c.raw
}

// state returns the carried state, if there is one to trust.
func (c *carried) state() (version int64, profile, session string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version, c.profile, c.session, c.valid
}

// set records the contact's state as Redis holds it now.
func (c *carried) set(version int64, profile, session string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid, c.version, c.profile, c.session = true, version, profile, session
}

// drop forgets the state: a commit failed in a way that may leave it stale.
func (c *carried) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.valid = false
}

// acknowledged records a commit script's answer about the message: ack is the script's
// acknowledgement flag and next the following message, "" for none.
func (c *carried) acknowledged(ack int64, next string, more bool) {
	if ack != 1 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acked, c.next, c.more = true, next, more
}
