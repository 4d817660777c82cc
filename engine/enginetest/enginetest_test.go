package enginetest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/store/storetest"
)

// withHistory reads MemStore's history the way storetest reads a store's, so the suite
// checks the history too.
type withHistory struct{ *enginetest.MemStore }

func (s withHistory) History(_ context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error {
	for _, ev := range s.MemStore.History(id) {
		if (!from.IsZero() && ev.At.Before(from)) || (!to.IsZero() && !ev.At.Before(to)) {
			continue
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// The fake keeps the contract every real store keeps, or tests built on it would prove
// nothing about the engine over Redis.
func TestMemStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return withHistory{&enginetest.MemStore{}} })
}

func TestRecorderTakeForgets(t *testing.T) {
	var r enginetest.Recorder
	ctx := context.Background()
	for _, text := range []string{"one", "two"} {
		if err := r.Send(ctx, chat.Outbound{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if got := texts(r.Sent()); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("Sent = %v, want [one two]", got)
	}
	if got := texts(r.Take()); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("Take = %v, want [one two]", got)
	}
	if got := r.Take(); len(got) != 0 {
		t.Fatalf("second Take = %v, want nothing", got)
	}
	if err := r.Send(ctx, chat.Outbound{Text: "three"}); err != nil {
		t.Fatal(err)
	}
	if got := texts(r.Sent()); !slices.Equal(got, []string{"three"}) {
		t.Fatalf("Sent after Take = %v, want [three]", got)
	}
}

func texts(msgs []chat.Outbound) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}
