package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/clock"
)

func TestRefusedRequestsAreLoggedWithARateLimit(t *testing.T) {
	clk := clock.NewManual(time.Now())
	r := newRig(t, func(d *Deps) { d.Clock = clk })
	good := sample(t, "text.json")
	for range 100 {
		if code, _ := r.post(t, good, "sha256=00"); code != 401 {
			t.Fatalf("POST = %d, want 401", code)
		}
	}
	if n := strings.Count(r.logs.String(), "webhook refused"); n != 1 {
		t.Fatalf("100 refusals in one period logged %d times, want 1:\n%s", n, r.logs)
	}
	clk.Advance(refusalLogPeriod)
	r.post(t, good, "sha256=00")
	logs := r.logs.String()
	if n := strings.Count(logs, "webhook refused"); n != 2 || !strings.Contains(logs, "suppressed=99") {
		t.Errorf("after a period: %d records, want 2, the second with suppressed=99:\n%s", n, logs)
	}
}

func TestWebhookReplayedAfterTheWindowIsRefused(t *testing.T) {
	// text.json is stamped 1749416383, status_failed.json 1750264001 (June 2025), ten
	// days apart; the window is twenty days.
	sampleTime := time.Unix(1750264002, 0)
	const window = 20 * 24 * time.Hour
	for _, tc := range []struct {
		name     string
		now      time.Time
		accepted bool
	}{
		{"inside the window", sampleTime.Add(24 * time.Hour), true},
		{"after the window", sampleTime.Add(window + time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewManual(tc.now)
			r := newRig(t, func(d *Deps) { d.Clock = clk; d.ReplayWindow = window })
			for _, name := range []string{"text.json", "status_failed.json"} {
				body := sample(t, name)
				if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
					t.Fatalf("POST %s = %d, want 200", name, code)
				}
			}
			r.srv.drainStatuses(context.Background())
			if got := len(r.intake.Pushed()) > 0 && len(r.history.Events()) > 0; got != tc.accepted {
				t.Errorf("accepted = %v (messages %d, statuses %d), want %v", got, len(r.intake.Pushed()), len(r.history.Events()), tc.accepted)
			}
			_, metrics := r.get(t, "/metrics")
			refused := strings.Contains(metrics, `wasla_webhook_stale_events_total{type="message"} 1`) &&
				strings.Contains(r.logs.String(), "older than the replay window")
			if refused == tc.accepted {
				t.Errorf("refusal counted and logged = %v, want %v", refused, !tc.accepted)
			}
		})
	}
}
