package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// Options configure an Engine. Zero values get sensible defaults.
type Options struct {
	Clock  Clock    // default: the wall clock
	HTTP   HTTPDoer // default: an http.Client (each step sets its own timeout)
	Logger *slog.Logger
	// OnStep, when set, is called for every step the engine runs; the conversation test
	// runner uses it for coverage.
	OnStep func(contact chat.ContactID, flow, step string)
}

// Engine runs a flow set for many contacts. It is safe for concurrent use; messages of one
// contact are handled one at a time, in arrival order.
type Engine struct {
	set   atomic.Pointer[flows.Set]
	store Store
	send  Sender
	opts  Options
}

// New returns an engine running set over store, replying through send.
func New(set *flows.Set, store Store, send Sender, opts Options) *Engine {
	e := &Engine{store: store, send: send, opts: opts}
	e.set.Store(set)
	return e
}

// SetFlows swaps in a new flow set; conversations in progress continue on it.
func (e *Engine) SetFlows(set *flows.Set) { e.set.Store(set) }

// Flows returns the running flow set.
func (e *Engine) Flows() *flows.Set { return e.set.Load() }

// Receive handles one inbound message: it records it, and answers it now or, inside a
// burst window, when the burst's timer fires (see RunDue).
func (e *Engine) Receive(ctx context.Context, in chat.Inbound) error {
	return errors.New("engine: not implemented yet")
}

// RunDue fires every timer that is due by the clock: burst answers, ask timeouts, waits
// and hand-off returns. It returns how many contacts it acted for.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	return 0, errors.New("engine: not implemented yet")
}

// State returns the stored state of a contact (for the simulator, tests and the inbox).
func (e *Engine) State(ctx context.Context, id chat.ContactID) (*State, error) {
	return e.store.Load(ctx, id)
}

// Reset clears the contact's session (not the profile or history).
func (e *Engine) Reset(ctx context.Context, id chat.ContactID) error {
	return errors.New("engine: not implemented yet")
}
