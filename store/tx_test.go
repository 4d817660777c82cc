package store

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// A commit through an intake transaction acknowledges the message it stores: it takes
// it out of the inbox and returns the next, also when refused as a duplicate; a fenced-out,
// conflicting or unrelated commit leaves the inbox alone.
func TestCommitAcknowledgesTheIntakeMessage(t *testing.T) {
	tests := []struct {
		name     string
		lease    string // the token the lease holds
		version  int64  // the version the commit claims to have loaded
		msgID    string // the inbound message id in the commit's history
		seen     bool   // the message was committed before
		wantErr  error
		wantAck  bool
		wantLeft int // messages left in the inbox
	}{
		{name: "committed", lease: "tok", msgID: "a", wantAck: true, wantLeft: 1},
		{name: "duplicate", lease: "tok", msgID: "a", seen: true, wantErr: contact.ErrDuplicate, wantAck: true, wantLeft: 1},
		{name: "fenced out", lease: "other", msgID: "a", wantErr: ErrFenced, wantLeft: 2},
		{name: "fenced out duplicate", lease: "other", msgID: "a", seen: true, wantErr: ErrFenced, wantLeft: 2},
		{name: "conflict", lease: "tok", version: 7, msgID: "a", wantErr: contact.ErrConflict, wantLeft: 2},
		{name: "another message", lease: "tok", msgID: "z", wantLeft: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m, clk := miniStore(t, Options{})
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			q := NewIntake(c, Options{Clock: clk, Lease: time.Minute})
			ctx := t.Context()
			if err := q.Push(ctx, []chat.Inbound{msg("1", "a"), msg("1", "b")}); err != nil {
				t.Fatal(err)
			}
			if tt.seen { // committed after the push by another route, a redelivery say
				if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "1"}}, []chat.Event{inbound("1", "a", t0)}); err != nil {
					t.Fatal(err)
				}
			}
			k := s.keysOf("1")
			m.Set(k.lease, tt.lease)
			inbox, _ := m.List(k.inbox)
			tx := &Tx{r: s, id: "1", token: "tok", lease: time.Minute}
			tx.set(0, "", "")
			tx.begin(inbox[0], "a")

			st := &contact.State{Contact: contact.Contact{ID: "1"}, Version: tt.version}
			err := tx.Commit(ctx, st, []chat.Event{inbound("1", tt.msgID, t0)})
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Commit = %v, want %v", err, tt.wantErr)
			}
			acked, next, more := tx.outcome()
			if acked != tt.wantAck {
				t.Fatalf("acknowledged = %v, want %v", acked, tt.wantAck)
			}
			if acked && (!more || next != inbox[1]) {
				t.Errorf("next = %q (more %v), want %q", next, more, inbox[1])
			}
			if left, _ := m.List(k.inbox); len(left) != tt.wantLeft {
				t.Errorf("%d messages left in the inbox, want %d", len(left), tt.wantLeft)
			}
			if n := depth(t, q); n != int64(tt.wantLeft) {
				t.Errorf("Depth = %d, want %d", n, tt.wantLeft)
			}
			if ttl := m.TTL(k.lease); acked && ttl != time.Minute {
				t.Errorf("lease TTL %v after the acknowledgement, want it renewed to 1m", ttl)
			}
			// The state a commit wrote is what the next Load returns, without Redis; a refused
			// conflict forgets it.
			_, _, _, valid := tx.state()
			if errors.Is(tt.wantErr, contact.ErrConflict) || errors.Is(tt.wantErr, ErrFenced) {
				if valid {
					t.Error("the reused state survived a refused commit")
				}
				return
			}
			if tt.wantErr == nil {
				got, err := tx.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != st.Version {
					t.Errorf("Load = version %d, want the committed %d", got.Version, st.Version)
				}
			}
		})
	}
}

// The state reused between the messages of a burst may be stale when something without
// the lease committed the contact meanwhile (a timer): the commit is refused as a conflict
// and the retry reads Redis, so nothing is lost.
func TestIntakeReusedStateNeverOverwrites(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := NewIntake(c, fastOpts(Options{}))
	// add appends v to the session's list with the engine's loop: load, change, commit,
	// again on a conflict.
	var loads atomic.Int64
	add := func(ctx context.Context, tx *Tx, v string, history []chat.Event) error {
		for {
			var st *contact.State
			var err error
			if tx != nil {
				st, err = tx.Load(ctx)
			} else {
				st, err = s.Load(ctx, "1")
			}
			if err != nil {
				return err
			}
			loads.Add(1)
			if st.Session.Vars == nil {
				st.Session.Vars = map[string]any{}
			}
			list, _ := st.Session.Vars["list"].([]any)
			st.Session.Vars["list"] = append(list, v)
			if tx != nil {
				err = tx.Commit(ctx, st, history)
			} else {
				err = s.Commit(ctx, st, history)
			}
			if !errors.Is(err, contact.ErrConflict) {
				return err
			}
		}
	}
	var redisLoads atomic.Int64
	c.AddHook(loadCounter{&redisLoads})
	done := make(chan struct{})
	runIntake(t, q, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		if err := add(ctx, tx, in.ID, []chat.Event{{Kind: chat.EventInbound, At: in.At, Inbound: &in}}); err != nil {
			return err
		}
		if in.ID == "a" { // a timer fires between the messages, outside the intake
			if err := add(context.Background(), nil, "timer", nil); err != nil {
				return err
			}
		}
		if in.ID == "b" {
			close(done)
		}
		return nil
	})
	if err := q.Push(t.Context(), []chat.Inbound{msg("1", "a"), msg("1", "b")}); err != nil {
		t.Fatal(err)
	}
	<-done
	// Loads that read Redis: the timer's, and b's after its conflict. a's came with the claim.
	if n := redisLoads.Load(); n != 2 {
		t.Fatalf("%d loads read Redis, want 2 (of %d)", n, loads.Load())
	}
	st, err := s.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	got := st.Session.Vars["list"]
	if want := []any{"a", "timer", "b"}; !slices.Equal(got.([]any), want) || st.Version != 3 {
		t.Fatalf("list %v at version %d, want %v at 3", got, st.Version, want)
	}
}

// loadCounter counts runs of the load script (not the EVAL after a NOSCRIPT): Loads that
// read Redis.
type loadCounter struct{ n *atomic.Int64 }

func (h loadCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h loadCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) > 1 && cmd.Name() == "evalsha" && args[1] == loadScript.Hash() {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (h loadCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
