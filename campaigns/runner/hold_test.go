package runner

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

type fakeIntake struct {
	mu                 sync.Mutex
	failing, recovered time.Time
}

func (f *fakeIntake) IntakeState() (time.Time, time.Time, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failing, f.recovered, "redis: connection refused"
}

// TestHoldWhileWebhooksFail: while webhooks are not recorded nothing is sent; once they
// are, sends go on, but an attempt whose outcome is unknown (its replica died) is not
// sent again until the grace period after the recovery has passed, since its status may
// be among the webhooks Meta is redelivering.
func TestHoldWhileWebhooksFail(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 6)
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	in := &fakeIntake{failing: clk.Now()}
	snd := &fakeSender{}
	run, err := New(Options{Control: ctl, Sender: snd, Clock: clk, Intake: in, Grace: 30 * time.Minute, Lease: time.Minute,
		Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	// A replica died holding a claim of one contact, before webhooks began to fail.
	dead := chat.ContactID("966500000005")
	aud, _ := ctl.Audience("offer")
	if _, err := aud.Claim(ctx, dead, "1002", "dead", clk.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	pass := func(n int, step time.Duration) {
		for range n {
			if err := run.Pass(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(step)
		}
	}
	pass(5, time.Minute)
	if len(snd.sends) != 0 {
		t.Fatalf("%d sends while webhooks fail; want 0", len(snd.sends))
	}
	in.mu.Lock()
	in.failing, in.recovered = time.Time{}, clk.Now()
	in.mu.Unlock()
	pass(5, time.Minute) // 5 minutes after the recovery: the others go, the dead claim waits
	if len(snd.sends) != 5 || len(snd.sends[dead]) != 0 {
		t.Fatalf("after recovery: %d contacts sent, the dead claim's %d; want 5 and 0", len(snd.sends), len(snd.sends[dead]))
	}
	pass(40, 2*time.Minute) // past the grace after the recovery, and the unknown attempt's own grace
	if len(snd.sends[dead]) != 1 {
		t.Fatalf("the unknown attempt was sent %d times after the grace; want 1", len(snd.sends[dead]))
	}
}
