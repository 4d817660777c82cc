package pacing

import (
	"fmt"
	"time"
)

// Canary is the first, small slice of a campaign and the pause after it. Meta paces new
// templates (WHATSAPP-2026.md §A7): it delivers up to a threshold and holds the rest while
// it reads feedback, then releases or drops them. The canary does the same on wasla's
// side: it sends a slice, waits Pause for delivery reports, opt-outs and Meta's template
// quality, and releases the rest only when the slice's failure and opt-out rates are under
// the stop-loss thresholds.
type Canary struct {
	// Share of the audience in the slice, clamped to [Min, Max] contacts (never more than
	// the audience). Share 0 turns the canary off.
	Share    float64
	Min, Max int
	// Pause is the wait after the slice's last send.
	Pause time.Duration
	// MaxFailureRate and MaxOptOutRate are the stop-loss thresholds over the slice: failed
	// sends (any permanent error but 131049) per send, and opt-outs per delivered message.
	MaxFailureRate float64
	MaxOptOutRate  float64
}

// DefaultCanary returns the documented default: 2 % of the audience, at least 50 and at
// most 500 contacts, then 6 hours of pause; stop when more than 10 % fail or more than
// 2 % opt out.
func DefaultCanary() Canary {
	return Canary{Share: 0.02, Min: 50, Max: 500, Pause: 6 * time.Hour, MaxFailureRate: 0.10, MaxOptOutRate: 0.02}
}

// Size returns the slice's size for an audience of n contacts.
func (c Canary) Size(n int) int {
	if c.Share <= 0 {
		return 0
	}
	size := int(c.Share * float64(n))
	size = max(size, c.Min)
	if c.Max > 0 {
		size = min(size, c.Max)
	}
	return min(size, n)
}

// Phase names where a campaign stands in its canary.
type Phase string

// Phases.
const (
	PhaseSlice    Phase = "canary"   // sending the slice
	PhasePause    Phase = "pause"    // the slice is out; waiting for feedback
	PhaseReleased Phase = "released" // the rest of the audience may go
	PhaseStopped  Phase = "stopped"  // the slice crossed a stop-loss threshold
)

// CanaryProgress is what the campaign has done so far, from its counters.
type CanaryProgress struct {
	Audience  int
	Sent      int       // attempts made (claims settled as sent or failed)
	LastSend  time.Time // of the slice's last send
	Failed    int       // permanent failures, 131049 excluded
	Delivered int
	OptedOut  int
}

// Gate says what the canary allows at now.
type Gate struct {
	Phase Phase
	// Allow is how many more contacts may be sent now; -1: no limit.
	Allow int
	// Until is the end of the pause.
	Until time.Time
	// Reason explains a stop, in words for the operator.
	Reason string
}

// Gate returns what the canary allows at now for the campaign's progress p. It is pure:
// the live scheduler and the simulator call it with their clocks.
func (c Canary) Gate(p CanaryProgress, now time.Time) Gate {
	size := c.Size(p.Audience)
	if size == 0 {
		return Gate{Phase: PhaseReleased, Allow: -1}
	}
	if p.Sent < size {
		return Gate{Phase: PhaseSlice, Allow: size - p.Sent}
	}
	if end := p.LastSend.Add(c.Pause); now.Before(end) {
		return Gate{Phase: PhasePause, Until: end}
	}
	if rate := float64(p.Failed) / float64(max(p.Sent, 1)); rate > c.MaxFailureRate {
		return Gate{Phase: PhaseStopped, Reason: fmt.Sprintf("%d of the %d canary sends failed (%.1f%%, the stop-loss is %.1f%%)",
			p.Failed, p.Sent, 100*rate, 100*c.MaxFailureRate)}
	}
	if rate := float64(p.OptedOut) / float64(max(p.Delivered, 1)); rate > c.MaxOptOutRate {
		return Gate{Phase: PhaseStopped, Reason: fmt.Sprintf("%d of the %d canary recipients opted out (%.1f%%, the stop-loss is %.1f%%)",
			p.OptedOut, p.Delivered, 100*rate, 100*c.MaxOptOutRate)}
	}
	return Gate{Phase: PhaseReleased, Allow: -1}
}
