package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// Dead letters are listed with an id, counted, replayed (handled again, once) or dropped;
// one that does not decode cannot be replayed, only dropped. On miniredis and a real
// redis-server.
func TestDeadLettersListReplayDrop(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := b.Open(t)
			q := NewIntake(c, fastOpts(Options{MaxAttempts: 1}))
			ctx := t.Context()
			var mu sync.Mutex
			fixed := false
			var handled []string
			runIntake(t, q, 1, func(_ context.Context, _ *Tx, in chat.Inbound) error {
				mu.Lock()
				defer mu.Unlock()
				if !fixed {
					return errors.New("flow broken")
				}
				handled = append(handled, in.ID)
				return nil
			})
			if err := q.Push(ctx, []chat.Inbound{msg("1", "poison"), msg("2", "other")}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "two dead letters", func() bool { n, _ := q.DeadCount(ctx); return n == 2 })
			// A record that does not decode, as a bug might leave it.
			b := bucket("3")
			if err := c.RPush(ctx, q.r.bucketKey(b, "dead"), "{not json").Err(); err != nil {
				t.Fatal(err)
			}
			var listed []ListedDeadLetter
			if err := q.ListDeadLetters(ctx, func(d ListedDeadLetter) error { listed = append(listed, d); return nil }); err != nil {
				t.Fatal(err)
			}
			ids := map[string]string{}
			for _, d := range listed {
				key := d.Message.ID
				if key == "" {
					key = "broken"
				}
				ids[key] = d.ID
			}
			if len(listed) != 3 || ids["poison"] == "" || ids["other"] == "" || ids["broken"] == "" {
				t.Fatalf("listed %+v, want poison, other and the broken record", listed)
			}
			mu.Lock()
			fixed = true
			mu.Unlock()
			if _, err := q.ReplayDeadLetter(ctx, ids["poison"]); err != nil {
				t.Fatal(err)
			}
			if _, err := q.ReplayDeadLetter(ctx, ids["poison"]); !errors.Is(err, ErrNoDeadLetter) {
				t.Errorf("replaying twice: %v, want ErrNoDeadLetter", err)
			}
			if _, err := q.ReplayDeadLetter(ctx, ids["broken"]); err == nil {
				t.Error("a record that does not decode was replayed")
			}
			if _, err := q.DropDeadLetter(ctx, ids["broken"]); err != nil {
				t.Fatal(err)
			}
			if _, err := q.DropDeadLetter(ctx, ids["other"]); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the replay handled", func() bool { mu.Lock(); defer mu.Unlock(); return len(handled) == 1 })
			if n, err := q.DeadCount(ctx); err != nil || n != 0 {
				t.Fatalf("DeadCount = %d, %v after replay and drops; want 0", n, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(handled, []string{"poison"}) {
				t.Fatalf("handled %v, want the replayed poison only", handled)
			}
		})
	}
}
