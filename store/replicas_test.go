package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

// These tests run whole engines over one Redis, as replicas of a deployment would: each
// replica has its own client, store, engine and intake; they share nothing but Redis.

func loadFlows(t testing.TB, dir string) *flows.Set {
	t.Helper()
	set, diags := flows.Load(dir)
	if diags.HasErrors() || set == nil {
		t.Fatalf("loading %s: %v", dir, diags)
	}
	return set
}

// replica is one wasla process.
type replica struct {
	store  *store.Redis
	engine *engine.Engine
	intake *store.Intake
	out    *enginetest.Recorder
}

func newReplica(t testing.TB, client redis.UniversalClient, set *flows.Set, opts store.Options, clk clock.Clock) *replica {
	t.Helper()
	opts.Clock = clk
	s, err := store.New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := &enginetest.Recorder{}
	return &replica{
		store:  s,
		engine: engine.New(set, s, out, engine.Options{Clock: clk, CommitAttempts: 50}),
		intake: store.NewIntake(client, opts),
		out:    out,
	}
}

// run runs the replica's intake workers until the test ends.
func (r *replica) run(t testing.TB, workers int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- r.intake.Run(ctx, workers, func(ctx context.Context, tx *store.Tx, in chat.Inbound) error { return r.engine.Receive(ctx, tx, in) })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("intake Run: %v", err)
		}
	})
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
}

// Two replicas, each with its own intake workers, under a flood of messages for a few
// contacts, every message pushed twice, to both replicas at the same moment: no variable is
// lost, every message is answered exactly once, and each contact's messages are handled in
// the order they were pushed.
func TestTwoReplicasUnderAFlood(t *testing.T) {
	backends := []struct {
		name   string
		client func(t *testing.T) func() redis.UniversalClient
	}{
		{"server", func(t *testing.T) func() redis.UniversalClient {
			srv := redistest.Start(t)
			return func() redis.UniversalClient { return srv.Client(t) }
		}},
		{"cluster", func(t *testing.T) func() redis.UniversalClient {
			cl := redistest.StartCluster(t)
			return func() redis.UniversalClient { return cl.Client(t) }
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			newClient := be.client(t)
			flood(t, newClient, 20, 20)
		})
	}
}

func flood(t *testing.T, newClient func() redis.UniversalClient, contacts, each int) {
	set := loadFlows(t, "testdata/collect")
	opts := store.Options{Prefix: "flood", Poll: 20 * time.Millisecond, RetryBackoff: time.Millisecond}
	a := newReplica(t, newClient(), set, opts, clock.Real{})
	b := newReplica(t, newClient(), set, opts, clock.Real{})
	a.run(t, 4)
	b.run(t, 4)

	want := map[chat.ContactID][]any{}
	var wg sync.WaitGroup
	for c := range contacts {
		id := chat.ContactID(fmt.Sprintf("9665%08d", c))
		for i := range each {
			want[id] = append(want[id], fmt.Sprintf("c%02d-m%03d", c, i))
		}
		wg.Go(func() {
			for i := range each {
				text := fmt.Sprintf("c%02d-m%03d", c, i)
				m := chat.Inbound{ID: "wamid." + text, Contact: id, Number: "111", Kind: chat.KindText, Text: text, At: time.Now()}
				// Meta delivers it twice, to two replicas at the same moment.
				var both sync.WaitGroup
				start := make(chan struct{})
				for _, r := range []*replica{a, b} {
					both.Go(func() {
						<-start
						if err := r.intake.Push(context.Background(), []chat.Inbound{m}); err != nil {
							t.Error(err)
						}
					})
				}
				close(start)
				both.Wait()
			}
		})
	}
	wg.Wait()
	ctx := t.Context()
	waitUntil(t, "the intake drained", 2*time.Minute, func() bool {
		n, err := a.intake.Depth(ctx)
		return err == nil && n == 0
	})

	// Exactly one reply per message, from either replica.
	replies := map[string]int{}
	for _, m := range append(a.out.Sent(), b.out.Sent()...) {
		replies[m.ReplyTo]++
	}
	for _, texts := range want {
		for _, text := range texts {
			if n := replies["wamid."+text.(string)]; n != 1 {
				t.Errorf("message %s answered %d times, want once", text, n)
			}
		}
	}
	if total := len(a.out.Sent()) + len(b.out.Sent()); total != contacts*each {
		t.Errorf("%d replies in all, want %d", total, contacts*each)
	}
	for id, w := range want {
		st, err := a.store.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// Every message appended once, in push order: nothing lost, nothing twice.
		if got := st.Session.Vars["seen"]; !reflect.DeepEqual(got, w) {
			t.Fatalf("contact %s: vars.seen = %v\nwant %v", id, got, w)
		}
		var in []any
		if err := a.store.History(ctx, id, time.Time{}, time.Time{}, func(ev chat.Event) error {
			if ev.Kind == chat.EventInbound {
				in = append(in, ev.Inbound.Text)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(in, w) {
			t.Fatalf("contact %s: inbound history %v\nwant %v", id, in, w)
		}
	}
}

// A timer fires once however many replicas poll for it at the same moment, and a timer that
// fell due while no replica ran fires when one starts again.
func TestTimersFireOnceAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	set := loadFlows(t, "testdata/remind")
	opts := store.Options{Prefix: "timers"}
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clkA, clkB := clock.NewManual(start), clock.NewManual(start)
	a := newReplica(t, srv.Client(t), set, opts, clkA)
	b := newReplica(t, srv.Client(t), set, opts, clkB)
	ctx := t.Context()

	const contacts = 40
	for c := range contacts {
		in := chat.Inbound{ID: fmt.Sprint("wamid.", c), Contact: chat.ContactID(fmt.Sprint(1000 + c)), Number: "111", Kind: chat.KindText, Text: "remind", At: start}
		if err := a.engine.Receive(ctx, nil, in); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.out.Sent()); n != contacts {
		t.Fatalf("%d first answers, want %d", n, contacts)
	}
	reminders := func() map[chat.ContactID]int {
		got := map[chat.ContactID]int{}
		for _, r := range []*replica{a, b} {
			for _, m := range r.out.Sent() {
				if m.Text == "reminder" {
					got[m.To]++
				}
			}
		}
		return got
	}

	// Not due yet: nothing fires.
	clkA.Advance(59 * time.Minute)
	if n, err := a.engine.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("RunDue before the timer = %d, %v; want 0", n, err)
	}
	// Due: both replicas poll at the same moment, several times.
	clkA.Advance(time.Minute)
	clkB.Advance(time.Hour)
	var wg sync.WaitGroup
	for range 3 {
		for _, r := range []*replica{a, b} {
			wg.Go(func() {
				if _, err := r.engine.RunDue(ctx); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	got := reminders()
	if len(got) != contacts {
		t.Fatalf("%d contacts reminded, want %d", len(got), contacts)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("contact %s reminded %d times, want once", id, n)
		}
	}

	// A restart: one more contact asks for a reminder, then no replica runs while it falls
	// due; a new replica (new client, store and engine) fires it.
	late := chat.Inbound{ID: "wamid.late", Contact: "2000", Number: "111", Kind: chat.KindText, Text: "remind", At: clkA.Now()}
	if err := a.engine.Receive(ctx, nil, late); err != nil {
		t.Fatal(err)
	}
	clkC := clock.NewManual(clkA.Now().Add(3 * time.Hour))
	c := newReplica(t, srv.Client(t), set, opts, clkC)
	if n, err := c.engine.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("RunDue after the restart = %d, %v; want 1", n, err)
	}
	if sent := c.out.Sent(); len(sent) != 1 || sent[0].To != "2000" || sent[0].Text != "reminder" {
		t.Fatalf("after the restart sent %+v, want the reminder to 2000", sent)
	}
	if n, err := c.engine.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("a second RunDue = %d, %v; want 0: the timer fired once", n, err)
	}
}
