package enginetest

import (
	"context"
	"slices"
	"sync"

	"github.com/wasla/wasla/chat"
)

// Recorder is an engine.Sender that keeps what it was asked to send and never fails. The
// zero value is ready to use and safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	sent []chat.Outbound
}

// Send keeps msg.
func (r *Recorder) Send(_ context.Context, msg chat.Outbound) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, msg)
	return nil
}

// Take returns what was sent since the last Take and forgets it, so a test can check the
// replies to each turn on its own.
func (r *Recorder) Take() []chat.Outbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

// Sent returns a copy of what was sent since the last Take, and keeps it.
func (r *Recorder) Sent() []chat.Outbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}
