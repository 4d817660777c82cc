package engine

import (
	"context"
	"net/http"
	"time"

	"github.com/wasla/wasla/chat"
)

// Tx is a transaction over one contact's state: the engine Loads the state, runs a message
// or a timer over it and Commits the result, loading again and re-running when Commit
// refuses with ErrConflict (see the package doc). The intake hands one to the handler of
// each queued message (its commit also takes the message off the queue, under the lease);
// calls without one run over the Store. A Tx is used by one goroutine at a time.
type Tx interface {
	// Contact is the contact the transaction is over.
	Contact() chat.ContactID
	// Load returns the contact's state, as Store.Load.
	Load(ctx context.Context) (*State, error)
	// Commit stores st and history, as Store.Commit.
	Commit(ctx context.Context, st *State, history []chat.Event) error
}

// Store keeps contact state. Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the contact's state, or a fresh one with Version 0 when none is stored.
	Load(ctx context.Context, id chat.ContactID) (*State, error)
	// Commit stores st, appends history to the contact's history and indexes the
	// session's earliest timer, all at once. It refuses with ErrConflict when the stored
	// version is not st.Version, and on success increments st.Version. A store that
	// deduplicates refuses with ErrDuplicate a commit whose history holds an inbound message
	// id it has seen within its deduplication period.
	Commit(ctx context.Context, st *State, history []chat.Event) error
	// Due returns up to limit contacts whose earliest timer is at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]chat.ContactID, error)
}

// Sender delivers outbound messages. The simulator prints them, tests record them and the
// server hands them to the routing layer and a channel.
type Sender interface {
	Send(ctx context.Context, msg chat.Outbound) error
}

// HTTPDoer performs the requests of http steps; tests replace it with mocks.
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Router chooses the business number each reply leaves from. It runs inside the contact's
// update, before the commit, so what it decides and any change it makes to st (the
// conversation moved to the inbox number, a refusal recorded) is stored atomically with
// the rest. It must not do I/O. A nil Router sends from the number the contact last wrote to.
type Router interface {
	// Route may set msg.From, rewrite msg (a template instead of text outside the 24-hour
	// window, say) or refuse it. It returns false with a reason to refuse; the engine then
	// records a refused event instead of sending.
	Route(now time.Time, st *State, msg *chat.Outbound) (ok bool, reason string)
}

// Reminder is what a Router may also do: after a customer's message that the flows left
// without any reply, say what must still go out so the customer is not left in silence
// (the inbox router sends the link to the inbox again to a customer who keeps writing to a
// campaign number, at most once per period). The message it returns is already routed.
type Reminder interface {
	Remind(now time.Time, st *State) (chat.Outbound, bool)
}
