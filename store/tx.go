package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// Tx is the intake's transaction over the contact whose message a handler is given: Load
// returns the contact's state and Commit stores it, like the Redis store's methods of those
// names, with two differences that make a message cost two round trips and not five:
//
//   - the fence: Commit succeeds only while the intake lease the Tx was created under is
//     held with its token, so a worker whose lease ran out (a long pause, a network
//     partition) cannot overwrite the work of the worker that took over (ErrFenced);
//   - the acknowledgement: the Commit whose history holds the message being handled also
//     takes it out of the inbox and fetches the next one in the same script, and the state
//     the claim read or the last commit wrote is what the next Load returns, without a
//     round trip.
//
// The reused state may be stale when something without the lease committed the contact
// meanwhile (a timer, an agent reply): the next commit is then refused with
// contact.ErrConflict, which drops it, and the engine's retry Loads from Redis. The handler
// never sees the difference.
//
// A Tx belongs to one contact and is used by one handler at a time; the intake makes one
// per claim and hands it to the handler of each message it drains.
type Tx struct {
	r     *Redis
	id    chat.ContactID
	token string        // the lease's fencing token; "" for none
	lease time.Duration // the intake's lease, renewed by each acknowledgement

	mu sync.Mutex
	// The message being handled: its stored JSON (what the inbox holds) and its id.
	raw, msgID string
	// What the last commit that acknowledged the message answered: whether it did, and the
	// next queued message, if any.
	acked    bool
	released bool // the commit also released the contact: the inbox was empty
	next     string
	more     bool
	// The contact's state, encoded as Redis holds it; valid is false when there is none
	// to trust.
	valid   bool
	version int64
	profile string // "" when none is stored
	session string // "" when none is stored
}

// Contact returns the contact the transaction is over.
func (t *Tx) Contact() chat.ContactID { return t.id }

// Load returns the contact's state: the one the claim read or the last commit wrote, else
// what Redis holds (see Redis.Load).
func (t *Tx) Load(ctx context.Context) (*contact.State, error) {
	if version, profile, session, ok := t.state(); ok {
		return decodeState(t.id, version, profile, session)
	}
	return t.r.Load(ctx, t.id)
}

// Commit stores st and history like Redis.Commit, under the fence, acknowledging the
// message being handled when history holds it. st must be the Tx's contact's.
func (t *Tx) Commit(ctx context.Context, st *contact.State, history []chat.Event) error {
	if st == nil || st.Contact.ID != t.id {
		return errors.New("store: commit: state of another contact than the transaction's")
	}
	return t.r.commit(ctx, st, history, t)
}

// fence returns the lease's token, "" for none. A nil Tx has none.
func (t *Tx) fence() string {
	if t == nil {
		return ""
	}
	return t.token
}

// leaseMillis is the lease in ms for the commit script; 1 when t is nil (the script then
// acknowledges nothing and ignores it).
func (t *Tx) leaseMillis() int64 {
	if t == nil {
		return 1
	}
	return max(t.lease.Milliseconds(), 1)
}

// begin starts the handling of the stored message raw with the given id.
func (t *Tx) begin(raw, msgID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.raw, t.msgID = raw, msgID
	t.acked, t.released, t.next, t.more = false, false, "", false
}

// outcome reports whether a commit acknowledged the message, and the next message it found.
func (t *Tx) outcome() (acked bool, next string, more bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.acked, t.next, t.more
}

// isReleased reports whether a commit released the contact with its acknowledgement: the
// worker holds it no longer and has nothing left to do for it.
func (t *Tx) isReleased() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.released
}

// ackFor returns the stored message to acknowledge with a commit whose history holds the
// inbound message ids, or "" when it holds not the one being handled (or t is nil).
func (t *Tx) ackFor(inbound []string) string {
	if t == nil || t.token == "" {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.msgID == "" || !slices.Contains(inbound, t.msgID) {
		return ""
	}
	return t.raw
}

// state returns the reused state, if there is one to trust.
func (t *Tx) state() (version int64, profile, session string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.version, t.profile, t.session, t.valid
}

// set records the contact's state as Redis holds it now.
func (t *Tx) set(version int64, profile, session string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.valid, t.version, t.profile, t.session = true, version, profile, session
}

// drop forgets the state: a commit failed in a way that may leave it stale.
func (t *Tx) drop() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.valid = false
}

// acknowledged records a commit script's answer about the message: ack is the script's
// acknowledgement flag (1 acknowledged, 2 acknowledged and released) and next the
// following message, "" for none.
func (t *Tx) acknowledged(ack int64, next string, more bool) {
	if t == nil || (ack != 1 && ack != 2) {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.acked, t.released, t.next, t.more = true, ack == 2, next, more && ack == 1
}
