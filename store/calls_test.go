package store

import (
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// A call (the calls webhook) is deduplicated on its id like a message, on miniredis and
// on a real redis-server: Meta delivers webhooks at least once, and a call recorded twice
// would show twice in the history.
func TestCallEventsAreDeduplicated(t *testing.T) {
	backends := []struct {
		name  string
		store func(t *testing.T) *Redis
	}{
		{"miniredis", func(t *testing.T) *Redis { s, _, _ := miniStore(t, Options{}); return s }},
		{"redis-server", func(t *testing.T) *Redis {
			var c redis.UniversalClient = redistest.Start(t).Client(t)
			s, err := New(c, Options{Clock: clock.NewManual(t0), Prefix: "calls"})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.store(t)
			ctx := t.Context()
			call := func(event string) chat.Event {
				in := &chat.Inbound{ID: "call:wacid.1:" + event, Contact: "1", Number: "n", Kind: chat.KindCall, At: t0,
					Call: &chat.Call{ID: "wacid.1", Event: event, Direction: chat.CallUserInitiated}}
				return chat.Event{Kind: chat.EventCall, Contact: "1", At: t0, Inbound: in}
			}
			st := &contact.State{Contact: contact.Contact{ID: "1"}}
			if err := s.Commit(ctx, st, []chat.Event{call(chat.CallConnect)}); err != nil {
				t.Fatal(err)
			}
			if err := s.Commit(ctx, st, []chat.Event{call(chat.CallConnect)}); !errors.Is(err, contact.ErrDuplicate) {
				t.Fatalf("the same call event again: Commit = %v, want ErrDuplicate", err)
			}
			if err := s.Commit(ctx, st, []chat.Event{call(chat.CallTerminate)}); err != nil {
				t.Fatalf("the call's terminate: %v", err)
			}
		})
	}
}
