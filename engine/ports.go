package engine

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/wasla/wasla/chat"
)

// ErrConflict is returned by Store.Commit when the state changed since it was loaded.
var ErrConflict = errors.New("state changed since it was loaded")

// Store keeps contact state. Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the contact's state, or a fresh one with Version 0 when none is stored.
	Load(ctx context.Context, id chat.ContactID) (*State, error)
	// Commit stores st, appends history to the contact's history and indexes the
	// session's earliest timer, all at once. It refuses with ErrConflict when the stored
	// version is not st.Version, and on success increments st.Version.
	Commit(ctx context.Context, st *State, history []chat.Event) error
	// Due returns up to limit contacts whose earliest timer is at or before now.
	Due(ctx context.Context, now time.Time, limit int) ([]chat.ContactID, error)
}

// Sender delivers outbound messages. The simulator prints them, tests record them and the
// server hands them to the routing layer and a channel.
type Sender interface {
	Send(ctx context.Context, msg chat.Outbound) error
}

// Clock tells the time. Tests and the simulator use a clock they move by hand.
type Clock interface {
	Now() time.Time
}

// HTTPDoer performs the requests of http steps; tests replace it with mocks.
type HTTPDoer interface {
	Do(req *http.Request) (*http.Response, error)
}
