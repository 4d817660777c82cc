package store

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// fenceRig drives the outbox scripts of one contact by hand, as senders cut off from Redis
// and coming back would, on miniredis and on a real redis-server. A lease "running out" is
// its key deleted, which is what its expiry leaves.
type fenceRig struct {
	t     *testing.T
	s     *Redis
	k     keys
	now   int64
	grace int64
	st    *contact.State
}

const fenceContact chat.ContactID = "966500000001"

func newFenceRig(t *testing.T, client redis.UniversalClient, replies ...string) *fenceRig {
	t.Helper()
	s, err := New(client, Options{Prefix: "fence", Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	var evs []chat.Event
	for _, r := range replies {
		evs = append(evs, reply(fenceContact, r))
	}
	st := &contact.State{Contact: contact.Contact{ID: fenceContact}}
	if err := s.Commit(t.Context(), st, evs); err != nil {
		t.Fatal(err)
	}
	return &fenceRig{t: t, s: s, k: s.keysOf(fenceContact), now: time.Now().UnixMilli(), grace: claimGrace.Milliseconds(), st: st}
}

// claim runs send_claim.lua with token and returns the entry's text ("" when nothing was
// claimed) and its attempts before this one.
func (r *fenceRig) claim(token string) (text string, started, answered int64) {
	r.t.Helper()
	res, err := sendClaimScript.Run(context.Background(), r.s.client, []string{r.k.olease, r.k.outbox, r.k.outq, r.k.ostate, r.s.deliveryKey(fenceContact)},
		token, 5000, string(fenceContact), r.now, r.grace, r.grace).Slice()
	if err == redis.Nil {
		return "", 0, 0
	}
	if err != nil {
		r.t.Fatal(err)
	}
	head, _ := stringAt(res, 0)
	if head == "" { // settled by Meta's status instead
		return "", 0, 0
	}
	started, _ = intAt(res, 1)
	answered, _ = intAt(res, 2)
	d, err := parseEntry(sendClaim{contact: fenceContact, head: head})
	if err != nil {
		r.t.Fatal(err)
	}
	return d.Message.Text, started, answered
}

// head returns the first entry's id.
func (r *fenceRig) head() string {
	r.t.Helper()
	h, err := r.s.client.LIndex(context.Background(), r.k.outbox, 0).Result()
	if err == redis.Nil {
		return ""
	}
	if err != nil {
		r.t.Fatal(err)
	}
	d, _ := parseEntry(sendClaim{head: h})
	return d.Entry
}

// done records attempt of entry as sent (retryAt "" ) or to retry, and returns the status.
func (r *fenceRig) done(token, entry string, attempt int, retryAt string) int64 {
	r.t.Helper()
	now := time.UnixMilli(r.now)
	out := Outcome{Wamid: "wamid." + entry}
	if retryAt != "" {
		out = Outcome{RetryAt: now.Add(time.Second)}
	}
	d := Delivery{Contact: fenceContact, Entry: entry, Message: chat.Outbound{From: "111"}}
	res, err := sendDoneScript.Run(context.Background(), r.s.client,
		[]string{r.k.olease, r.k.outbox, r.k.outq, r.k.ostate, r.s.deliveryKey(fenceContact), r.s.failedKey(bucket(fenceContact))},
		token, entry, retryAt, 5000, string(fenceContact), out.record(d, now), wamidField(out.Wamid), r.now, "", attempt).Slice()
	if err != nil {
		r.t.Fatal(err)
	}
	status, _ := intAt(res, 0)
	return status
}

// extend runs send_extend.lua for token's attempt at entry.
func (r *fenceRig) extend(token, entry string, attempt int) int64 {
	r.t.Helper()
	n, err := sendExtendScript.Run(context.Background(), r.s.client, []string{r.k.olease, r.k.ostate}, token, 5000, entry, attempt).Int64()
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// release gives token's lease back without attempting the first entry.
func (r *fenceRig) release(token string) {
	r.t.Helper()
	err := sendReleaseScript.Run(context.Background(), r.s.client, []string{r.k.olease, r.k.outbox, r.k.outq, r.k.ostate},
		token, r.head(), string(fenceContact), r.now).Err()
	if err != nil {
		r.t.Fatal(err)
	}
}

// status applies a status webhook of wamid whose callback data names attempt of entry.
func (r *fenceRig) status(state chat.DeliveryState, wamid, entry string, attempt int) StatusResult {
	r.t.Helper()
	res, _, err := r.s.ApplyReplyDelivery(context.Background(), fenceContact,
		chat.Delivery{State: state, Wamid: wamid, At: time.UnixMilli(r.now)}, entry, attempt)
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

// recorded returns entry's delivery state and the wamid on record for it.
func (r *fenceRig) recorded(entry string) (chat.DeliveryState, string) {
	r.t.Helper()
	states, err := r.s.DeliveryStates(context.Background(), fenceContact)
	if err != nil {
		r.t.Fatal(err)
	}
	d := states[entry]
	return d.State, d.Wamid
}

// leaseRunsOut deletes the lease, as its expiry would.
func (r *fenceRig) leaseRunsOut() {
	r.t.Helper()
	if err := r.s.client.Del(context.Background(), r.k.olease).Err(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *fenceRig) holder() string {
	return r.s.client.Get(context.Background(), r.k.olease).Val()
}

func (r *fenceRig) outboxLen() int64 {
	return r.s.client.LLen(context.Background(), r.k.outbox).Val()
}

// A sender cut off from Redis longer than its lease keeps its attempt: its answer still
// lands, and nobody sends the entry a second time, unless it stayed away past the grace
// another sender gives it — then the late answer changes nothing. Run on miniredis and on
// a real redis-server.
func TestOutboxAttemptOutlivesItsLease(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *fenceRig)
	}{
		{"the late answer lands when nobody claimed", func(t *testing.T, r *fenceRig) {
			if text, _, _ := r.claim("A"); text != "one" {
				t.Fatalf("claimed %q, want one", text)
			}
			e := r.head()
			r.leaseRunsOut()
			if st := r.done("A", e, 1, ""); st != 1 {
				t.Fatalf("the late answer: status %d, want 1 (the next entry, the lease taken back)", st)
			}
			if r.holder() != "A" || r.outboxLen() != 1 {
				t.Fatalf("holder %q, %d entries: want A holding the one left", r.holder(), r.outboxLen())
			}
		}},
		{"a claim within the grace waits for the late answer", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			e := r.head()
			r.leaseRunsOut()
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("a claim just after the lease ran out took %q", text)
			}
			r.now += r.grace - 1
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("a claim within the grace took %q", text)
			}
			if st := r.done("A", e, 1, ""); st != 1 {
				t.Fatalf("the late answer: status %d, want 1", st)
			}
			r.release("A") // A stops before its attempt at two
			r.now += 2
			text, started, answered := r.claim("B")
			if text != "two" || started != 0 || answered != 0 {
				t.Fatalf("after the answer, B claimed %q with %d started and %d answered: want two, fresh", text, started, answered)
			}
		}},
		{"the grace passes only while Redis answers", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			r.leaseRunsOut()
			r.claim("B")         // notes the unanswered attempt
			r.now += r.grace + 1 // Redis was away: no claim could look
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("a claim after an outage took %q at once", text)
			}
			r.now += r.grace / 2
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("a claim within the new grace took %q", text)
			}
			r.now += r.grace / 2
			if text, started, _ := r.claim("B"); text != "one" || started != 1 {
				t.Fatalf("after a grace with Redis answering, B claimed %q (%d started before), want one (1)", text, started)
			}
		}},
		{"the heartbeat takes the lease back", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			e := r.head()
			r.leaseRunsOut()
			r.claim("B") // notes the unanswered attempt
			if n := r.extend("A", e, 1); n != 2 || r.holder() != "A" {
				t.Fatalf("extend: %d, holder %q: want the lease back with A", n, r.holder())
			}
			r.now += r.grace
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("B took %q while A held the lease again", text)
			}
			r.leaseRunsOut()
			r.now += r.grace // the note was cleared: a new one starts the grace again
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("B took %q without a new grace", text)
			}
		}},
		{"after the grace another sender takes over and the late answer changes nothing", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			e := r.head()
			r.leaseRunsOut()
			r.claim("B")
			r.now += r.grace
			text, started, answered := r.claim("B")
			if text != "one" || started != 1 || answered != 0 {
				t.Fatalf("B claimed %q with %d started and %d answered: want one, 1 unknown", text, started, answered)
			}
			if st := r.done("A", e, 1, ""); st != 0 {
				t.Fatalf("A's late answer: status %d, want 0 (taken over)", st)
			}
			if n := r.extend("A", e, 1); n != 0 {
				t.Fatalf("A's heartbeat took the lease from B")
			}
			r.leaseRunsOut()
			if n := r.extend("A", e, 1); n != 0 {
				t.Fatalf("A took back a lease B's attempt had run out")
			}
			if r.outboxLen() != 2 {
				t.Fatalf("%d entries, want both still there", r.outboxLen())
			}
			if st := r.done("B", e, 2, ""); st != 1 {
				t.Fatalf("B's answer: status %d, want 1", st)
			}
		}},
		{"Meta's status of a cut-off attempt settles it instead of a second send", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			e := r.head()
			if res := r.status(chat.StateSent, "wamid.ONE", e, 1); res != StatusWaiting {
				t.Fatalf("a status while A holds the lease: %d, want waiting", res)
			}
			r.leaseRunsOut() // A died with the answer in flight
			if text, _, _ := r.claim("B"); text != "" {
				t.Fatalf("B claimed %q: want the reply settled by Meta's status, not sent again", text)
			}
			if state, wamid := r.recorded(e); state != chat.StateSent || wamid != "wamid.ONE" {
				t.Fatalf("the reply is %s %q, want sent wamid.ONE", state, wamid)
			}
			r.now++
			if text, started, _ := r.claim("B"); text != "two" || started != 0 {
				t.Fatalf("B claimed %q (%d started before), want two, fresh", text, started)
			}
			if res := r.status(chat.StateDelivered, "wamid.ONE", e, 1); res != StatusApplied {
				t.Fatalf("a later status of the settled reply: %d, want applied", res)
			}
		}},
		{"a status after the lease ran out settles at once", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			e := r.head()
			r.leaseRunsOut()
			if res := r.status(chat.StateFailed, "wamid.F", e, 1); res == StatusSettled {
				t.Fatalf("a failed status settled the reply")
			}
			if res := r.status(chat.StateSent, "wamid.OLD", e, 7); res == StatusSettled {
				t.Fatalf("a status of another attempt settled the reply")
			}
			if res := r.status(chat.StateDelivered, "wamid.ONE", e, 1); res != StatusSettled {
				t.Fatalf("the status of the cut-off attempt: %d, want settled", res)
			}
			if state, wamid := r.recorded(e); state != chat.StateDelivered || wamid != "wamid.ONE" {
				t.Fatalf("the reply is %s %q, want delivered wamid.ONE", state, wamid)
			}
			if text, started, _ := r.claim("B"); text != "two" || started != 0 {
				t.Fatalf("B claimed %q (%d started before), want two, fresh", text, started)
			}
		}},
		{"a commit does not hand over an unanswered entry", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			r.leaseRunsOut()
			r.s.out.running.Add(1) // as if a sender ran in this process
			if err := r.s.Commit(t.Context(), r.st, []chat.Event{reply(fenceContact, "three")}); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-r.s.out.claims:
				t.Fatalf("the commit took the lease and handed over %q", c.head)
			default:
			}
			if h := r.holder(); h != "" {
				t.Fatalf("the lease is held by %q", h)
			}
		}},
		{"repeated runs count nothing twice", func(t *testing.T, r *fenceRig) {
			r.claim("A")
			if _, started, _ := r.claim("A"); started != 0 {
				t.Fatalf("a repeated claim counted %d attempts before this one, want 0", started)
			}
			e := r.head()
			if st := r.done("A", e, 1, "1"); st != 2 {
				t.Fatalf("retry: status %d, want 2", st)
			}
			if st := r.done("A", e, 1, "1"); st != 2 {
				t.Fatalf("the retry run again: status %d, want 2 (already recorded)", st)
			}
			r.now += 2000
			if _, started, answered := r.claim("A"); started != 1 || answered != 1 {
				t.Fatalf("after a retry: %d started, %d answered; want 1 and 1", started, answered)
			}
			if st := r.done("A", e, 2, ""); st != 1 {
				t.Fatalf("sent: status %d, want 1", st)
			}
			e2 := r.head()
			if st := r.done("A", e, 2, ""); st != 1 {
				t.Fatalf("sent, run again: status %d, want 1", st)
			}
			if r.head() != e2 || r.outboxLen() != 1 {
				t.Fatalf("the repeated answer popped a second entry")
			}
			if st := r.done("A", e2, 1, ""); st != 2 {
				t.Fatalf("the last sent: status %d, want 2", st)
			}
			if st := r.done("A", e2, 1, ""); st != 2 {
				t.Fatalf("the last sent, run again: status %d, want 2 (already recorded)", st)
			}
		}},
	}
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			c := b.Open(t)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					if err := c.FlushAll(t.Context()).Err(); err != nil {
						t.Fatal(err)
					}
					tc.run(t, newFenceRig(t, c, "one", "two"))
				})
			}
		})
	}
}
