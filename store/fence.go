package store

import (
	"context"

	"github.com/wasla/wasla/chat"
)

// Fence identifies an intake lease: the contact and the random token its holder got when it
// claimed the contact. The Intake passes it to its handler in the context; Commit of that
// contact then succeeds only while the lease is still held with this token, so a worker
// whose lease ran out (a long pause, a network partition) cannot overwrite the work of the
// worker that took over.
type Fence struct {
	Contact chat.ContactID
	Token   string
}

// fenceKey is the private context key of a Fence.
type fenceKey struct{}

// WithFence returns a context carrying f. Commits of f.Contact under this context check
// the lease; commits of other contacts ignore it.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the fence ctx carries, if any.
func FenceFrom(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok && f.Token != ""
}
