package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// waitFor polls cond until it holds, failing the test after a deadline. Real time passes
// only in the intake's own goroutines (leases, polls, backoff); the test never sleeps to
// make it pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling, not waiting for time to pass
	}
}

// fastOpts are intake options for tests: quick polls and retries.
func fastOpts(o Options) Options {
	o.Poll = cmpOr(o.Poll, 5*time.Millisecond)
	o.RetryBackoff = cmpOr(o.RetryBackoff, time.Millisecond)
	return o
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

// runIntake runs q in the background until the test ends, and waits for Run to return.
func runIntake(t *testing.T, q *Intake, workers int, handle Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, workers, handle) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// recorder is a handler that records the messages it handled, per contact, and checks that
// no two run for one contact at once.
type recorder struct {
	mu       sync.Mutex
	got      map[chat.ContactID][]string
	inFlight map[chat.ContactID]bool
	overlap  []string
	n        atomic.Int64
	// work is how long each handling takes, to give a second worker of the contact the
	// time to show up if exclusion were broken.
	work time.Duration
}

func newRecorder() *recorder {
	return &recorder{got: map[chat.ContactID][]string{}, inFlight: map[chat.ContactID]bool{}}
}

func (r *recorder) handle(_ context.Context, _ *Tx, m chat.Inbound) error {
	r.mu.Lock()
	if r.inFlight[m.Contact] {
		r.overlap = append(r.overlap, m.ID)
	}
	r.inFlight[m.Contact] = true
	r.mu.Unlock()
	if r.work > 0 {
		time.Sleep(r.work)
	}
	defer func() {
		r.mu.Lock()
		r.inFlight[m.Contact] = false
		r.got[m.Contact] = append(r.got[m.Contact], m.ID)
		r.mu.Unlock()
		r.n.Add(1)
	}()
	return nil
}

func (r *recorder) of(id chat.ContactID) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[id])
}

func msg(contact chat.ContactID, id string) chat.Inbound {
	return chat.Inbound{ID: id, Contact: contact, Number: "111", Kind: chat.KindText, Text: id, At: t0}
}

func depth(t *testing.T, q *Intake) int64 {
	t.Helper()
	n, err := q.Depth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIntakeHandlesInPushOrder(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, fastOpts(Options{}))
	ctx := t.Context()
	var batch []chat.Inbound
	want := map[chat.ContactID][]string{}
	for i := range 30 {
		id := chat.ContactID(fmt.Sprint(100 + i%3))
		wamid := fmt.Sprintf("wamid.%d", i)
		batch = append(batch, msg(id, wamid))
		want[id] = append(want[id], wamid)
	}
	if err := q.Push(ctx, batch[:10]); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, batch[10:]); err != nil {
		t.Fatal(err)
	}
	if n := depth(t, q); n != 30 {
		t.Fatalf("Depth = %d before Run, want 30", n)
	}
	rec := newRecorder()
	runIntake(t, q, 4, rec.handle)
	waitFor(t, "every message handled", func() bool { return rec.n.Load() == 30 })
	for id, w := range want {
		if got := rec.of(id); !slices.Equal(got, w) {
			t.Errorf("contact %s handled %v, want %v", id, got, w)
		}
	}
	waitFor(t, "depth 0", func() bool { return depth(t, q) == 0 })
	// Nothing is left behind: inboxes, leases and the ready index are empty.
	for _, k := range m.Keys() {
		if strings.HasSuffix(k, ":inbox") || strings.HasSuffix(k, ":lease") || strings.HasSuffix(k, ":ready") {
			t.Errorf("key %s left after the intake drained", k)
		}
	}
}

func TestIntakePushChecks(t *testing.T) {
	s, m, clk := miniStore(t, Options{})
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, Options{Clock: clk})
	ctx := t.Context()
	if err := q.Push(ctx, []chat.Inbound{{ID: "x"}}); err == nil || !strings.Contains(err.Error(), "no contact") {
		t.Fatalf("Push of a message without contact = %v", err)
	}
	// A message already committed within the dedupe period is not queued again.
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "1"}}, []chat.Event{inbound("1", "wamid.old", t0)}); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(ctx, []chat.Inbound{msg("1", "wamid.old"), msg("1", "wamid.new")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.List(s.keysOf("1").inbox); len(got) != 1 || !strings.Contains(got[0], "wamid.new") {
		t.Fatalf("inbox %v, want only wamid.new", got)
	}
	if n := depth(t, q); n != 1 {
		t.Fatalf("Depth = %d, want 1", n)
	}
	bad := NewIntake(c, Options{Prefix: "a{b}"})
	if err := bad.Push(ctx, []chat.Inbound{msg("1", "x")}); err == nil {
		t.Fatal("an intake with an invalid prefix pushed")
	}
	if err := bad.Run(ctx, 1, func(context.Context, *Tx, chat.Inbound) error { return nil }); err == nil {
		t.Fatal("an intake with an invalid prefix ran")
	}
}

// A contact whose handler is slow does not hold up the others.
func TestIntakeContactsRunInParallel(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, fastOpts(Options{}))
	release := make(chan struct{})
	var fast atomic.Int64
	runIntake(t, q, 2, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		if in.Contact == "slow" {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
		fast.Add(1)
		return nil
	})
	if err := q.Push(t.Context(), []chat.Inbound{msg("slow", "s1"), msg("fast", "f1"), msg("fast", "f2")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fast contact handled while the slow one is held", func() bool { return fast.Load() == 2 })
	close(release)
	waitFor(t, "depth 0", func() bool { return depth(t, q) == 0 })
}

// Two replicas' intakes over one Redis: every message handled once, per contact in order
// and never two at once.
func TestIntakeReplicasExcludeEachOther(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	opts := fastOpts(Options{Prefix: "excl"})
	a, b := NewIntake(c, opts), NewIntake(c, opts)
	rec := newRecorder()
	rec.work = 200 * time.Microsecond
	runIntake(t, a, 4, rec.handle)
	runIntake(t, b, 4, rec.handle)
	const contacts, each = 8, 40
	var wg sync.WaitGroup
	for cn := range contacts {
		id := chat.ContactID(fmt.Sprint(500 + cn))
		wg.Go(func() {
			for i := range each {
				q := a
				if i%2 == 1 {
					q = b
				}
				if err := q.Push(context.Background(), []chat.Inbound{msg(id, fmt.Sprintf("%s/%03d", id, i))}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "every message handled", func() bool { return rec.n.Load() == contacts*each })
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.overlap) > 0 {
		t.Fatalf("messages handled while another of the same contact ran: %v", rec.overlap)
	}
	for id, got := range rec.got {
		if !slices.IsSorted(got) || len(got) != each {
			t.Fatalf("contact %s handled %d messages in order %v", id, len(got), got)
		}
	}
}

func TestIntakeRetriesThenDeadLetters(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, fastOpts(Options{MaxAttempts: 3}))
	var mu sync.Mutex
	attempts := map[string]int{}
	var order []string
	runIntake(t, q, 1, func(_ context.Context, _ *Tx, in chat.Inbound) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[in.ID]++
		switch {
		case in.ID == "flaky" && attempts[in.ID] < 3:
			return errors.New("try again")
		case in.ID == "poison":
			return errors.New("always fails")
		case in.ID == "panics":
			panic("boom")
		}
		order = append(order, in.ID)
		return nil
	})
	if err := q.Push(t.Context(), []chat.Inbound{msg("1", "flaky"), msg("1", "poison"), msg("1", "panics"), msg("1", "after")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the queue drained", func() bool { return depth(t, q) == 0 })
	mu.Lock()
	if !slices.Equal(order, []string{"flaky", "after"}) || attempts["flaky"] != 3 || attempts["poison"] != 3 || attempts["panics"] != 3 {
		t.Errorf("handled %v with attempts %v; want flaky (3 attempts) then after, poison and panics tried 3 times", order, attempts)
	}
	mu.Unlock()
	var dead []DeadLetter
	if err := q.DeadLetters(t.Context(), func(d DeadLetter) error { dead = append(dead, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 2 || dead[0].Message.ID != "poison" || dead[0].Attempts != 3 || dead[0].Error != "always fails" ||
		dead[1].Message.ID != "panics" || !strings.Contains(dead[1].Error, "boom") {
		t.Fatalf("dead letters %+v, want poison and panics after 3 attempts", dead)
	}
}

// A replica that died holding a contact blocks it until the lease runs out; then another
// worker takes over.
func TestIntakeTakesOverAnExpiredLease(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, fastOpts(Options{Lease: 30 * time.Second}))
	k := q.r.keysOf("1")
	if err := c.Set(t.Context(), k.lease, "dead-replica", 30*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if err := q.Push(t.Context(), []chat.Inbound{msg("1", "a"), msg("1", "b")}); err != nil {
		t.Fatal(err)
	}
	var scans scanCounter
	c.AddHook(&scans)
	rec := newRecorder()
	runIntake(t, q, 2, rec.handle)
	// Several scans find the contact held; nothing is handled.
	waitFor(t, "a few scans", func() bool { return scans.n.Load() > 3 })
	if got := rec.n.Load(); got != 0 {
		t.Fatalf("%d messages handled while another replica holds the lease", got)
	}
	m.FastForward(30 * time.Second)
	waitFor(t, "the messages handled after the lease expired", func() bool { return rec.n.Load() == 2 })
	if got := rec.of("1"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("handled %v, want [a b]", got)
	}
}

// A worker whose lease ran out while it worked cannot commit over the worker that took the
// contact over: its commit is refused with ErrFenced, which the engine does not retry, and it
// does not take the message out of the inbox.
func TestIntakeFencesAStaleWorker(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	opts := fastOpts(Options{Lease: time.Minute})
	stale, fresh := NewIntake(c, opts), NewIntake(c, opts)
	commit := func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		for {
			st, err := tx.Load(ctx)
			if err != nil {
				return err
			}
			st.Session.Vars = map[string]any{"by": in.Text}
			err = tx.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, At: in.At, Inbound: &in}})
			if !errors.Is(err, contact.ErrConflict) {
				return err
			}
		}
	}
	entered := make(chan struct{})
	resume := make(chan struct{})
	staleErr := make(chan error, 1)
	runIntake(t, stale, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		if tx.fence() == "" {
			t.Error("the handler's transaction holds no fence")
		}
		close(entered)
		<-resume // a long GC pause, a partition: the lease runs out meanwhile
		in.Text = "stale"
		err := commit(ctx, tx, in)
		staleErr <- err
		return err
	})
	if err := stale.Push(t.Context(), []chat.Inbound{msg("1", "wamid.1")}); err != nil {
		t.Fatal(err)
	}
	<-entered
	m.FastForward(time.Minute) // the stale worker's lease expires
	var freshRuns atomic.Int64
	runIntake(t, fresh, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		freshRuns.Add(1)
		in.Text = "fresh"
		return commit(ctx, tx, in)
	})
	waitFor(t, "the new holder handled the message", func() bool { return depth(t, fresh) == 0 })
	close(resume)
	if err := <-staleErr; !errors.Is(err, ErrFenced) {
		t.Fatalf("stale worker's commit = %v, want ErrFenced", err)
	}
	st, err := s.Load(t.Context(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 1 || st.Session.Vars["by"] != "fresh" || freshRuns.Load() != 1 {
		t.Fatalf("state %+v after %d fresh runs; want one commit by the fresh worker", st, freshRuns.Load())
	}
}

// A worker whose lease is taken while its handler runs has the handler's context cancelled.
func TestIntakeCancelsAHandlerThatLostItsLease(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, fastOpts(Options{Lease: 30 * time.Millisecond}))
	entered := make(chan struct{})
	cause := make(chan error, 1)
	runIntake(t, q, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		close(entered)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return ctx.Err()
	})
	if err := q.Push(t.Context(), []chat.Inbound{msg("1", "a")}); err != nil {
		t.Fatal(err)
	}
	<-entered
	m.Set(q.r.keysOf("1").lease, "another-worker")
	if err := <-cause; !errors.Is(err, errLeaseLost) {
		t.Fatalf("handler cancelled with %v, want errLeaseLost", err)
	}
	// The message stays for the new holder.
	if n := depth(t, q); n != 1 {
		t.Fatalf("Depth = %d, want 1", n)
	}
}

// Cancelling Run stops it with a message still queued, and gives its lease back.
func TestIntakeStopsCleanly(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	q := NewIntake(c, fastOpts(Options{}))
	entered := make(chan struct{})
	stop := runIntake(t, q, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	if err := q.Push(t.Context(), []chat.Inbound{msg("1", "a")}); err != nil {
		t.Fatal(err)
	}
	<-entered
	stop()
	k := q.r.keysOf("1")
	if m.Exists(k.lease) {
		t.Fatal("the lease is still held after Run returned")
	}
	if n := depth(t, q); n != 1 {
		t.Fatalf("Depth = %d, want the message still queued", n)
	}
	if ok, _ := m.ZScore(k.ready, "1"); ok == 0 {
		t.Fatal("the contact left the ready index with a message queued")
	}
}

// The intake path's round trips without an outbox: one Push, which also claims the contact
// for the waiting worker and reads the state the handler's Load returns; per message one
// Commit, which also acknowledges the message and fetches the next; and one release once
// the inbox is empty (without an outbox the engine sends after the commit, so the commit
// cannot release the contact). TestRoundTripsEndToEnd counts the server's path, with the
// outbox.
func TestIntakeRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	q := NewIntake(client, fastOpts(Options{Prefix: "rti", Poll: time.Hour}))
	ctx := t.Context()
	handled := make(chan struct{}, 10)
	runIntake(t, q, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		st, err := tx.Load(ctx)
		if err != nil {
			return err
		}
		if err := tx.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, At: in.At, Inbound: &in}}); err != nil {
			return err
		}
		handled <- struct{}{}
		return nil
	})
	// Warm up: the scripts get cached, the first scan is done.
	if err := q.Push(ctx, []chat.Inbound{msg("1", "warm")}); err != nil {
		t.Fatal(err)
	}
	<-handled
	probe := srv.Client(t) // a client of its own, so that the waits are not counted
	released := func(id chat.ContactID) func() bool {
		return func() bool { return probe.Exists(ctx, q.r.keysOf(id).lease).Val() == 0 }
	}
	waitFor(t, "the contact released", released("1"))

	var counter roundTrips
	client.AddHook(&counter)
	tests := []struct {
		name string
		msgs int
		want int
	}{
		{"one message", 1, 1 + 1 + 1},   // push+claim+load, commit+ack, release
		{"three at once", 3, 1 + 3 + 1}, // push+claim+load, three times commit+ack, release
		{"ten at once", 10, 1 + 10 + 1}, // push+claim+load, ten times commit+ack, release
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := chat.ContactID(fmt.Sprint(10 + i))
			var batch []chat.Inbound
			for j := range tt.msgs {
				batch = append(batch, msg(id, fmt.Sprintf("%s.%d", id, j)))
			}
			waitFor(t, "the worker waiting", func() bool { return q.free.Load() == 1 })
			counter.reset()
			if err := q.Push(ctx, batch); err != nil {
				t.Fatal(err)
			}
			for range tt.msgs {
				<-handled
			}
			waitFor(t, "the contact released", released(id))
			if got := counter.get(); got != tt.want {
				t.Fatalf("%d round trips, want %d", got, tt.want)
			}
		})
	}
}

// scanCounter is a go-redis hook that counts the intake's scans of the ready index.
type scanCounter struct{ n atomic.Int64 }

func (s *scanCounter) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (s *scanCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (s *scanCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == Buckets && cmds[0].Name() == "zrange" {
			s.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// A message whose handling fails because Redis refuses writes (out of memory, say) is
// retried until Redis takes them again, however long that is: Meta got a 200 for it, so
// it must never become a dead letter for Redis's fault.
func TestIntakeNeverDeadLettersForRedisFaults(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	q := NewIntakeOf(s, fastOpts(Options{MaxAttempts: 2}))
	var mu sync.Mutex
	attempts := 0
	done := make(chan struct{})
	runIntake(t, q, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		mu.Lock()
		attempts++
		n := attempts
		mu.Unlock()
		if n <= 6 { // Redis down for three times MaxAttempts
			return fmt.Errorf("committing contact state: store: commit: %w: OOM command not allowed", ErrUnavailable)
		}
		st, err := tx.Load(ctx)
		if err != nil {
			return err
		}
		if err := tx.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, At: in.At, Inbound: &in}}); err != nil {
			return err
		}
		close(done)
		return nil
	})
	if err := q.Push(t.Context(), []chat.Inbound{msg("1", "a")}); err != nil {
		t.Fatal(err)
	}
	<-done
	waitFor(t, "the queue drained", func() bool { return depth(t, q) == 0 })
	var dead int
	if err := q.DeadLetters(t.Context(), func(DeadLetter) error { dead++; return nil }); err != nil {
		t.Fatal(err)
	}
	if dead != 0 {
		t.Fatalf("%d dead letters after a Redis fault, want none", dead)
	}
}

// Loads and commits that Redis refuses say so with ErrUnavailable.
func TestRedisFaultsAreUnavailable(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	m.SetError("OOM command not allowed when used memory > 'maxmemory'")
	if _, err := s.Load(t.Context(), "1"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Load = %v, want ErrUnavailable", err)
	}
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	if err := s.Commit(t.Context(), st, nil); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Commit = %v, want ErrUnavailable", err)
	}
}

// The server's whole path for an inbound message, counted on a real server: the webhook's
// Push (which claims the contact for a waiting worker of the process and reads its state),
// the handler's Load (no round trip) and Commit (which stores state, history and reply,
// acknowledges the message, releases the contact when its inbox is empty and hands the
// reply to a sender of the process), then the sender's acknowledgement after the Graph
// API answered. Three round trips for a lone message; a burst of n messages of one contact
// costs one push, n commits and n acknowledgements.
func TestRoundTripsEndToEnd(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	s, q, rec := servePath(t, client, "e2e", 1)
	ctx := t.Context()
	handled := make(chan struct{}, 16)
	runIntake(t, q, 1, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		st, err := tx.Load(ctx)
		if err != nil {
			return err
		}
		st.Session.Flow, st.Session.Step = "order", "ask_size"
		evs := []chat.Event{{Kind: chat.EventInbound, At: in.At, Inbound: &in}, reply(in.Contact, "got "+in.ID)}
		if err := tx.Commit(ctx, st, evs); err != nil {
			return err
		}
		handled <- struct{}{}
		return nil
	})
	probe := srv.Client(t) // a client of its own, so that the waits are not counted
	idle := func(id chat.ContactID) func() bool {
		return func() bool {
			k := s.keysOf(id)
			return probe.Exists(ctx, k.lease, k.olease, k.outbox, k.inbox).Val() == 0 &&
				q.free.Load() == 1
		}
	}
	// Warm up: the scripts get cached.
	if err := q.Push(ctx, []chat.Inbound{msg("1", "warm")}); err != nil {
		t.Fatal(err)
	}
	<-handled
	waitFor(t, "the warm-up answered", func() bool { return len(rec.texts()) == 1 })
	waitFor(t, "the warm-up done", idle("1"))

	var counter roundTrips
	client.AddHook(&counter)
	tests := []struct {
		name string
		msgs int
		want int
	}{
		{"one message", 1, 1 + 1 + 1},    // push+claim+load, commit+ack+release+queue, send done
		{"three at once", 3, 1 + 3 + 3},  // push+claim+load, three commits, three sends done
		{"ten at once", 10, 1 + 10 + 10}, // push+claim+load, ten commits, ten sends done
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := chat.ContactID(fmt.Sprint(10 + i))
			var batch []chat.Inbound
			for j := range tt.msgs {
				batch = append(batch, msg(id, fmt.Sprintf("%s.%d", id, j)))
			}
			before := len(rec.texts())
			counter.reset()
			if err := q.Push(ctx, batch); err != nil {
				t.Fatal(err)
			}
			for range tt.msgs {
				<-handled
			}
			waitFor(t, "the replies sent", func() bool { return len(rec.texts()) == before+tt.msgs })
			waitFor(t, "the contact idle", idle(id))
			if got := counter.get(); got != tt.want {
				t.Fatalf("%d round trips, want %d", got, tt.want)
			}
			want := make([]string, tt.msgs)
			for j := range want {
				want[j] = fmt.Sprintf("got %s.%d", id, j)
			}
			if got := rec.texts()[before:]; !slices.Equal(got, want) {
				t.Fatalf("replies %q, want %q in order", got, want)
			}
		})
	}
}

// Within one process nothing waits for a scan: with the scans of the intake and of the
// outbox an hour apart, every message of a flood over a few contacts is answered and every
// reply sent. A contact that one worker takes while another of the process still lets go
// of it (a hand-over racing the end of a drain; a commit's hand-off racing the sender's
// last acknowledgement) is woken when that worker lets go.
func TestNothingWaitsForAScan(t *testing.T) {
	_, q, rec := servePath(t, redistest.Start(t).Client(t), "noscan", 16)
	runIntake(t, q, 16, func(ctx context.Context, tx *Tx, in chat.Inbound) error {
		st, err := tx.Load(ctx)
		if err != nil {
			return err
		}
		return tx.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, At: in.At, Inbound: &in}, reply(in.Contact, in.ID)})
	})
	const contacts, rounds = 64, 30
	for r := range rounds {
		var batch []chat.Inbound
		for c := range contacts {
			batch = append(batch, msg(chat.ContactID(fmt.Sprint(100+c)), fmt.Sprintf("%d.%d", c, r)))
		}
		if err := q.Push(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every reply sent without a scan", func() bool { return len(rec.texts()) == contacts*rounds })
	got := map[string][]string{}
	for _, text := range rec.texts() {
		c, _, _ := strings.Cut(text, ".")
		got[c] = append(got[c], text)
	}
	for c := range contacts {
		for r, text := range got[fmt.Sprint(c)] {
			if want := fmt.Sprintf("%d.%d", c, r); text != want {
				t.Fatalf("contact %d's reply %d is %q, want %q: replies out of order", c, r, text, want)
			}
		}
	}
}

// servePath sets up wasla serve's path over client: a store with an outbox, its intake, and
// senders recording what they deliver, with the scans of both an hour apart.
func servePath(t *testing.T, client redis.UniversalClient, prefix string, senders int) (*Redis, *Intake, *deliveries) {
	t.Helper()
	opts := fastOpts(Options{Prefix: prefix, Poll: time.Hour, Outbox: true})
	s, err := New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOutbox(s, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	rec := &deliveries{}
	runOutbox(t, o, senders, rec.deliver)
	waitFor(t, "the outbox running", func() bool { return s.out.running.Load() == 1 })
	return s, NewIntakeOf(s, opts), rec
}
