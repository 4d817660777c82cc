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

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// reply is an outbound event of contact id saying text.
func reply(id chat.ContactID, text string) chat.Event {
	return chat.Event{Kind: chat.EventOutbound, Contact: id, At: t0,
		Outbound: &chat.Outbound{To: id, From: "111", Kind: chat.KindText, Text: text}}
}

// deliveries records what a Deliver function was given and answers from a script.
type deliveries struct {
	mu     sync.Mutex
	got    []Delivery
	answer func(d Delivery) Outcome // nil: done
}

func (r *deliveries) deliver(_ context.Context, d Delivery) Outcome {
	r.mu.Lock()
	r.got = append(r.got, d)
	answer := r.answer
	r.mu.Unlock()
	if answer == nil {
		return Outcome{}
	}
	return answer(d)
}

func (r *deliveries) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, d := range r.got {
		out = append(out, d.Message.Text)
	}
	return out
}

func (r *deliveries) all() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// runOutbox runs o in the background until the test ends.
func runOutbox(t *testing.T, o *Outbox, workers int, deliver Deliver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, workers, deliver) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Outbox.Run = %v", err)
		}
	})
}

func outboxLen(t *testing.T, s *Redis, id chat.ContactID) int64 {
	t.Helper()
	n, err := s.client.LLen(context.Background(), s.keysOf(id).outbox).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A commit queues its outbound and agent events' messages with the state; the outbox
// sends them in commit order, and only them.
func TestOutboxSendsWhatCommitsQueued(t *testing.T) {
	s, m, _ := miniStore(t, Options{Outbox: true})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	agent := reply("1", "from an agent")
	agent.Kind = chat.EventAgent
	refused := reply("1", "refused")
	refused.Kind = chat.EventRefused
	if err := s.Commit(ctx, st, []chat.Event{inbound("1", "a", t0), reply("1", "one"), refused, reply("1", "two"), agent}); err != nil {
		t.Fatal(err)
	}
	if n := outboxLen(t, s, "1"); n != 3 {
		t.Fatalf("outbox holds %d entries after the commit, want 3", n)
	}
	if ok, _ := m.ZScore(s.keysOf("1").outq, "1"); ok == 0 {
		t.Fatal("the contact is not in its bucket's outbox index")
	}
	o, err := NewOutbox(s, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var rec deliveries
	runOutbox(t, o, 2, rec.deliver)
	waitFor(t, "the outbox sent", func() bool { return len(rec.texts()) == 3 })
	if got, want := rec.texts(), []string{"one", "two", "from an agent"}; !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q", got, want)
	}
	waitFor(t, "the contact left the index", func() bool { return !m.Exists(s.keysOf("1").outq) || outboxLen(t, s, "1") == 0 })
	for _, d := range rec.all() {
		if d.Attempt != 1 || d.Unknown != 0 || d.Entry == "" || !d.Queued.Equal(t0) {
			t.Errorf("delivery %+v: want the first attempt of a known entry queued at t0", d)
		}
	}
	waitFor(t, "the lease released", func() bool { return !m.Exists(s.keysOf("1").olease) })
}

// A store without Options.Outbox queues nothing: the engine's Sender sends.
func TestNoOutboxQueuesNothing(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	if err := s.Commit(t.Context(), st, []chat.Event{reply("1", "one")}); err != nil {
		t.Fatal(err)
	}
	if m.Exists(s.keysOf("1").outbox) || m.Exists(s.keysOf("1").outq) {
		t.Fatal("a store without an outbox queued a reply")
	}
	if _, err := NewOutbox(s, 0); err == nil {
		t.Fatal("NewOutbox accepted a store that queues nothing")
	}
}

// A reply to retry stays first: the contact's later replies wait behind it, and it is
// tried again once due, counted as a second attempt.
func TestOutboxRetryKeepsOrder(t *testing.T) {
	s, _, clk := miniStore(t, Options{Outbox: true})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	if err := s.Commit(ctx, st, []chat.Event{reply("1", "one"), reply("1", "two")}); err != nil {
		t.Fatal(err)
	}
	o, err := NewOutbox(s, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	rec := deliveries{answer: func(d Delivery) Outcome {
		if d.Message.Text == "one" && d.Attempt == 1 {
			return Outcome{RetryAt: clk.Now().Add(time.Minute)}
		}
		return Outcome{}
	}}
	runOutbox(t, o, 1, rec.deliver)
	waitFor(t, "the first attempt", func() bool { return len(rec.texts()) == 1 })
	// Scans go on; nothing is due until the clock reaches the retry.
	awaitScans(t, s, 3)
	if got := rec.texts(); len(got) != 1 {
		t.Fatalf("sent %q before the retry was due", got)
	}
	clk.Advance(time.Minute)
	waitFor(t, "the retry and the next reply", func() bool { return len(rec.texts()) == 3 })
	got := rec.all()
	if got[1].Message.Text != "one" || got[1].Attempt != 2 || got[1].Unknown != 0 || got[2].Message.Text != "two" {
		t.Fatalf("deliveries %+v: want one (attempt 2, nothing unknown), then two", got)
	}
}

// A sender that dies between taking a reply and recording its answer leaves it to the
// next sender once its lease runs out and a grace after that has passed (the dead sender
// might only have been cut off from Redis); the next sender is told the first attempt's
// outcome is unknown.
func TestOutboxSenderDeathIsCountedUnknown(t *testing.T) {
	s, m, clk := miniStore(t, Options{Outbox: true, SendLease: time.Second})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	if err := s.Commit(ctx, st, []chat.Event{reply("1", "one")}); err != nil {
		t.Fatal(err)
	}
	k := s.keysOf("1")
	// The dead sender: it claimed the reply (and sent it, or not) and was killed.
	if _, err := sendClaimScript.Run(ctx, s.client, []string{k.olease, k.outbox, k.outq, k.ostate, s.deliveryKey("1")},
		"dead-token", 1000, "1", t0.UnixMilli()).Slice(); err != nil {
		t.Fatal(err)
	}
	o, err := NewOutbox(s, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var rec deliveries
	runOutbox(t, o, 1, rec.deliver)
	awaitScans(t, s, 3) // the lease still holds
	if n := len(rec.texts()); n != 0 {
		t.Fatalf("sent %d replies while another sender held the lease", n)
	}
	m.FastForward(time.Second) // the dead sender's lease runs out
	waitFor(t, "a claim noting the unanswered attempt", func() bool { return m.HGet(k.ostate, "g") != "" })
	clk.Advance(claimGrace - time.Millisecond)
	awaitScans(t, s, 3)
	if n := len(rec.texts()); n != 0 {
		t.Fatalf("sent %d replies within the grace", n)
	}
	clk.Advance(time.Millisecond)
	waitFor(t, "the reply sent by the next sender", func() bool { return len(rec.texts()) == 1 })
	if d := rec.all()[0]; d.Attempt != 2 || d.Unknown != 1 {
		t.Fatalf("delivery %+v: want attempt 2 with 1 unknown", d)
	}
	waitFor(t, "the outbox emptied", func() bool { return outboxLen(t, s, "1") == 0 })
}

// With a sender running in the process, a commit takes the outbox lease itself and hands
// its replies over: the outbox costs one round trip per reply (its acknowledgement) and
// nothing else — no claim, no scan needed.
func TestOutboxRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	s, err := New(client, Options{Prefix: "obx", Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOutbox(s, time.Hour) // no scan during the test
	if err != nil {
		t.Fatal(err)
	}
	rec := deliveries{answer: func(d Delivery) Outcome { return Outcome{Wamid: "wamid." + d.Entry} }}
	runOutbox(t, o, 1, rec.deliver)
	waitFor(t, "the outbox running", func() bool { return s.out.running.Load() == 1 })
	ctx := t.Context()
	// Warm up: the scripts get cached.
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "0"}}, []chat.Event{reply("0", "warm")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the warm-up sent", func() bool { return len(rec.texts()) == 1 })
	probe := srv.Client(t)
	released := func(id chat.ContactID) func() bool {
		return func() bool { return probe.Exists(ctx, s.keysOf(id).olease).Val() == 0 }
	}
	waitFor(t, "the warm-up released", released("0"))

	var counter roundTrips
	client.AddHook(&counter)
	for i, replies := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d replies", replies), func(t *testing.T) {
			id := chat.ContactID(fmt.Sprint(10 + i))
			var history []chat.Event
			for j := range replies {
				history = append(history, reply(id, fmt.Sprint(j)))
			}
			before := len(rec.texts())
			counter.reset()
			if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: id}}, history); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the replies sent", func() bool { return len(rec.texts()) == before+replies })
			waitFor(t, "the lease released", released(id))
			if got, want := counter.get(), 1+replies; got != want {
				t.Fatalf("%d round trips, want %d (the commit, then one per reply)", got, want)
			}
			// The delivery states (sent, with the wamid) came with those round trips.
			states, err := s.DeliveryStates(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			for _, d := range states {
				if d.State == chat.StateSent && strings.HasPrefix(d.Wamid, "wamid.") {
					sent++
				}
			}
			if sent != replies {
				t.Fatalf("delivery states %+v, want %d sent with their wamid", states, replies)
			}
		})
	}
}

// Many contacts' replies go out in parallel workers, each contact's in order, whichever
// replica's sender takes them.
func TestOutboxOrderPerContactAcrossSenders(t *testing.T) {
	s, _, _ := miniStore(t, Options{Outbox: true})
	other, err := New(s.client, Options{Outbox: true, Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sent := map[chat.ContactID][]string{}
	deliver := func(_ context.Context, d Delivery) Outcome {
		mu.Lock()
		sent[d.Contact] = append(sent[d.Contact], d.Message.Text)
		mu.Unlock()
		return Outcome{}
	}
	for _, r := range []*Redis{s, other} {
		o, err := NewOutbox(r, 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		runOutbox(t, o, 3, deliver)
	}
	const contacts, each = 6, 10
	var wg sync.WaitGroup
	for c := range contacts {
		id := chat.ContactID(fmt.Sprint("c", c))
		r := []*Redis{s, other}[c%2]
		wg.Go(func() {
			st := &contact.State{Contact: contact.Contact{ID: id}}
			for j := range each {
				if err := r.Commit(context.Background(), st, []chat.Event{reply(id, fmt.Sprint(j))}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, "every reply sent", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range sent {
			n += len(v)
		}
		return n == contacts*each
	})
	mu.Lock()
	defer mu.Unlock()
	for id, got := range sent {
		for j, text := range got {
			if text != fmt.Sprint(j) {
				t.Fatalf("contact %s got %q, want 0..%d in order, each once", id, got, each-1)
			}
		}
	}
}

// awaitScans waits until the outbox senders of s scanned the outbox index n more times.
func awaitScans(t *testing.T, s *Redis, n int64) {
	t.Helper()
	var h outqScans
	s.client.(*redis.Client).AddHook(&h)
	waitFor(t, fmt.Sprint(n, " scans of the outbox index"), func() bool { return h.n.Load() >= n })
}

// outqScans is a go-redis hook that counts the scans of the outbox index.
type outqScans struct{ n atomic.Int64 }

func (h *outqScans) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *outqScans) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (h *outqScans) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if len(cmds) == Buckets && cmds[0].Name() == "zrangebyscore" {
			h.n.Add(1)
		}
		return err
	}
}

// failScript makes the first n runs of one script fail as a dropped connection would,
// before they reach Redis.
type failScript struct {
	hash string
	n    atomic.Int32
}

func (f *failScript) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f *failScript) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (f *failScript) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		args := cmd.Args()
		if len(args) > 1 && (args[0] == "evalsha" || args[0] == "eval") && (args[1] == f.hash || args[1] == sendDoneSource) && f.n.Add(-1) >= 0 {
			err := errors.New("read: connection reset by peer")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

// When Redis does not take the record of a sent message (a restart, a dropped connection),
// the sender records it again while its lease can still hold, instead of leaving the entry
// first for the next sender to send a second time.
func TestOutboxRecordsTheAnswerAgainInsteadOfSendingTwice(t *testing.T) {
	s, _, _ := miniStore(t, Options{Outbox: true})
	ctx := t.Context()
	fail := &failScript{hash: sendDoneScript.Hash()}
	fail.n.Store(3)
	s.client.AddHook(fail)
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "1"}}, []chat.Event{inbound("1", "a", t0), reply("1", "one"), reply("1", "two")}); err != nil {
		t.Fatal(err)
	}
	o, err := NewOutbox(s, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	o.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	var rec deliveries
	rec.answer = func(d Delivery) Outcome { return Outcome{Wamid: "wamid." + d.Message.Text} }
	runOutbox(t, o, 1, rec.deliver)
	sentOnceEach(t, s, &rec, fail, 3)
}

// A sender cut off from Redis for longer than its lease records the answer when Redis
// returns, and takes its lease back, while another replica, which found the reply's
// attempt unanswered, waits out its grace instead of sending it a second time.
func TestOutboxRecordsTheAnswerAfterItsLeaseRanOut(t *testing.T) {
	s, m, _ := miniStore(t, Options{Outbox: true})
	other, err := New(s.client, Options{Outbox: true, Clock: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	fail := &failScript{hash: sendDoneScript.Hash()}
	s.client.AddHook(fail)
	k := s.keysOf("1")
	var rec deliveries
	rec.answer = func(d Delivery) Outcome {
		if d.Message.Text == "one" {
			// Redis goes away with the answer in hand, for longer than the lease.
			fail.n.Store(5)
			m.Del(k.olease)
		}
		return Outcome{Wamid: "wamid." + d.Message.Text}
	}
	for _, r := range []*Redis{s, other} {
		o, err := NewOutbox(r, 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		o.sleep = func(ctx context.Context, _ time.Duration) error {
			awaitScans(t, s, 1) // the other replica scans while this one waits
			return ctx.Err()
		}
		runOutbox(t, o, 1, rec.deliver)
	}
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "1"}}, []chat.Event{inbound("1", "a", t0), reply("1", "one"), reply("1", "two")}); err != nil {
		t.Fatal(err)
	}
	sentOnceEach(t, s, &rec, fail, 5)
}

// sentOnceEach waits for contact 1's replies "one" and "two" to be sent and recorded, and
// fails t unless each went once with no attempt of unknown outcome, and the record failed
// the failures it was to.
func sentOnceEach(t *testing.T, s *Redis, rec *deliveries, fail *failScript, failures int32) {
	t.Helper()
	waitFor(t, "both replies sent and recorded", func() bool { return outboxLen(t, s, "1") == 0 && len(rec.texts()) >= 2 })
	if got, want := rec.texts(), []string{"one", "two"}; !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q, each once", got, want)
	}
	for _, d := range rec.all() {
		if d.Unknown != 0 {
			t.Errorf("delivery %+v counts an attempt of unknown outcome", d)
		}
	}
	if fail.n.Load() >= 0 {
		t.Fatalf("the record failed only %d of %d times", failures-fail.n.Load(), failures)
	}
}
