package audience

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

// TestExactlyOnceThroughDeaths plays a campaign in which the sending worker dies at
// random moments — after claiming but before the request left, or after Meta accepted
// the message but before the answer was settled — and restarts. Status webhooks of the
// accepted messages arrive later, named by their callback data. At the end every contact
// has received exactly one message at the fake Graph API, none was skipped, and the
// counters account for every unknown attempt.
func TestExactlyOnceThroughDeaths(t *testing.T) {
	s := newRedis(t)
	ctx := context.Background()
	const contacts = 300
	ids := make([]chat.ContactID, contacts)
	for i := range ids {
		ids[i] = chat.ContactID(fmt.Sprintf("9665%08d", i))
	}
	addOne(t, s, ids...)
	rng := rand.New(rand.NewPCG(11, 12))
	received := map[chat.ContactID]int{} // the fake Graph API
	type status struct {
		data string
		at   time.Time
	}
	var webhooks []status // statuses Meta has yet to deliver
	now := t0
	const lease, grace = time.Minute, 10 * time.Minute
	diedBefore, diedAfter := 0, 0
	for round := 0; round < 100; round++ {
		// A worker's pass over the audience.
		for _, id := range ids {
			attempt, err := s.Claim(ctx, id, "n1", fmt.Sprint("worker-", round), now, lease)
			if errors.Is(err, ErrNotClaimed) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			data := Attempt{Campaign: "ramadan", Contact: id, Attempt: attempt}.CallbackData()
			switch r := rng.IntN(10); {
			case r == 0: // died before the request left
				diedBefore++
				continue
			case r == 1: // Meta accepted it; the worker died before settling
				received[id]++
				diedAfter++
				webhooks = append(webhooks, status{data, now.Add(time.Duration(1+rng.IntN(5)) * time.Minute)})
				continue
			}
			received[id]++
			if _, err := s.Settle(ctx, Settlement{Contact: id, Attempt: attempt, Number: "n1", At: now, Kind: Sent, Level: 1, WAMID: "w"}); err != nil {
				t.Fatal(err)
			}
			webhooks = append(webhooks, status{data, now.Add(time.Minute)})
		}
		// Time passes; statuses arrive; any replica sweeps.
		now = now.Add(2 * time.Minute)
		pending := webhooks[:0]
		for _, w := range webhooks {
			if w.at.After(now) {
				pending = append(pending, w)
				continue
			}
			a, ok := ParseCallbackData(w.data)
			if !ok {
				t.Fatalf("callback data %q not ours", w.data)
			}
			if _, err := s.Settle(ctx, Settlement{Contact: a.Contact, Attempt: a.Attempt, Number: "n1", At: w.at, Kind: Sent, Level: 2}); err != nil {
				t.Fatal(err)
			}
		}
		webhooks = pending
		if _, err := s.Sweep(ctx, now, grace, 1000); err != nil {
			t.Fatal(err)
		}
		done := len(webhooks) == 0
		for _, id := range ids {
			if st, err := s.State(ctx, id); err != nil || st.Kind != Sent {
				done = false
				break
			}
		}
		if done {
			break
		}
	}
	for _, id := range ids {
		if received[id] != 1 {
			t.Errorf("contact %s received %d copies; want exactly 1", id, received[id])
		}
	}
	c, err := s.Counters(ctx, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if diedBefore == 0 || diedAfter == 0 {
		t.Fatalf("the seed killed no worker (%d before, %d after): the test proves nothing", diedBefore, diedAfter)
	}
	// A death before the request is always resent after the grace period. A death after
	// Meta accepted is resolved by its status: counted unknown_resolved when the status
	// came after the lease ran out, a plain send when it came before.
	if c["sent"] != contacts || c["delivered"] != contacts || c["unknown"] != 0 ||
		c["unknown_resent"] != int64(diedBefore) || c["unknown_resolved"] == 0 || c["unknown_resolved"] > int64(diedAfter) {
		t.Fatalf("counters %v; want %d sent and delivered, %d resent, 1 to %d resolved, none unknown", c, contacts, diedBefore, diedAfter)
	}
	t.Logf("%d contacts, %d deaths before the request, %d after Meta accepted", contacts, diedBefore, diedAfter)
}
