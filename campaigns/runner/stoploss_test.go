package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// failureStopLoss stops a campaign when more than 10 % of at least 100 attempts failed
// with a quality error, and records the stops it is told of.
type failureStopLoss struct {
	mu      sync.Mutex
	stopped []string
}

func (f *failureStopLoss) Check(_ pacing.Config, total outcome.Counters) string {
	n := total.Sent + total.FailedTotal()
	if n < 100 || float64(total.QualityFailures()) <= 0.10*float64(n) {
		return ""
	}
	return fmt.Sprintf("%d of %d sends failed", total.QualityFailures(), n)
}

func (f *failureStopLoss) Stopped(_ context.Context, campaign, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, campaign+": "+reason)
}

// TestStopLossStopsALiveCampaign: with the canary off, two replicas send until the
// failures pass the stop-loss, well after the first slice; the campaign stops saying
// why, the stop is reported once, nothing more is sent; resumed by the operator, it is
// judged on what it sends from then on, and finishes.
func TestStopLossStopsALiveCampaign(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 1000)
	var mu sync.Mutex
	failing := true
	sent := 0
	snd := &fakeSender{failIf: func(msg chat.Outbound) error {
		mu.Lock()
		defer mu.Unlock()
		sent++
		if failing && sent > 300 && sent%2 == 0 {
			return metaError(131048)
		}
		return nil
	}}
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sl := &failureStopLoss{}
	replica := func() *Runner {
		r, err := New(Options{Control: ctl, Sender: snd, Clock: clk, StopLoss: sl,
			Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := replica(), replica()
	pass := func() {
		t.Helper()
		var wg sync.WaitGroup
		for _, r := range []*Runner{a, b} {
			wg.Go(func() {
				if err := r.Pass(ctx); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		clk.Advance(time.Second)
	}
	for range 40 {
		pass()
	}
	rec, err := ctl.Get(ctx, "offer")
	if err != nil || rec.State != StateStopped || !strings.HasPrefix(rec.Reason, "stop-loss: ") || !strings.Contains(rec.Reason, "sends failed") {
		t.Fatalf("campaign %s %q, %v after %d sends; want stopped by the stop-loss", rec.State, rec.Reason, err, sent)
	}
	mu.Lock()
	at := sent
	mu.Unlock()
	if at >= 1000 || at <= 300 {
		t.Fatalf("%d sends before the stop; want it after the clean first 300 and before the end", at)
	}
	if len(sl.stopped) != 1 {
		t.Fatalf("stops reported %q; want one across both replicas", sl.stopped)
	}
	for range 3 {
		pass()
	}
	mu.Lock()
	if sent != at {
		t.Fatalf("%d more sends after the stop", sent-at)
	}
	failing = false
	mu.Unlock()
	if _, err := ctl.Set(ctx, "offer", "resume", "the list was cleaned"); err != nil {
		t.Fatal(err)
	}
	for range 80 {
		pass()
	}
	if rec, _ := ctl.Get(ctx, "offer"); rec.State != StateDone || len(sl.stopped) != 1 {
		t.Fatalf("after the resume: %+v, stops %q; want done without another stop", rec, sl.stopped)
	}
}
