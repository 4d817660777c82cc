package pacing

import (
	"strings"
	"testing"
	"time"
)

func TestCanarySize(t *testing.T) {
	c := DefaultCanary()
	for _, tt := range []struct{ n, want int }{{10, 10}, {1000, 50}, {10_000, 200}, {1_000_000, 500}} {
		if got := c.Size(tt.n); got != tt.want {
			t.Errorf("Size(%d) = %d; want %d", tt.n, got, tt.want)
		}
	}
	if (Canary{}).Size(1000) != 0 {
		t.Error("a zero canary has a slice")
	}
}

func TestCanaryGate(t *testing.T) {
	c := DefaultCanary()
	end := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		p      CanaryProgress
		now    time.Time
		phase  Phase
		allow  int
		reason string
	}{
		{"the slice", CanaryProgress{Audience: 10_000, Sent: 120}, end, PhaseSlice, 80, ""},
		{"the pause", CanaryProgress{Audience: 10_000, Sent: 200, LastSend: end, Delivered: 190}, end.Add(5 * time.Hour), PhasePause, 0, ""},
		{"released", CanaryProgress{Audience: 10_000, Sent: 200, LastSend: end, Delivered: 190, Failed: 10, OptedOut: 3}, end.Add(6 * time.Hour), PhaseReleased, -1, ""},
		{"too many failures", CanaryProgress{Audience: 10_000, Sent: 200, LastSend: end, Delivered: 170, Failed: 21}, end.Add(6 * time.Hour), PhaseStopped, 0, "21 of the 200 canary sends failed (10.5%"},
		{"too many opt-outs", CanaryProgress{Audience: 10_000, Sent: 200, LastSend: end, Delivered: 190, OptedOut: 4}, end.Add(7 * time.Hour), PhaseStopped, 0, "4 of the 190 canary recipients opted out"},
		{"off", CanaryProgress{Audience: 10}, end, PhaseReleased, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := c
			if tt.name == "off" {
				cc.Share = 0
			}
			g := cc.Gate(tt.p, tt.now)
			if g.Phase != tt.phase || g.Allow != tt.allow || !strings.Contains(g.Reason, tt.reason) {
				t.Fatalf("Gate = %+v; want %s, allow %d, reason containing %q", g, tt.phase, tt.allow, tt.reason)
			}
		})
	}
}
