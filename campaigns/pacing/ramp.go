package pacing

import (
	"fmt"
	"time"
)

// Ramp is a number's warm-up: the daily volume it may send, step by step. A new or
// re-activated number starts on the first step and climbs one step after each clean day
// — a day on which it sent at least MinShare of its cap and the failure and opt-out rates
// stayed under the thresholds. A quiet day proves nothing and keeps the step; a dirty day
// goes back StepBack steps. A number idle for RestartAfter starts again from the first
// step, as Meta treats a re-activated number.
type Ramp struct {
	// Steps are the daily caps; the last one holds once reached; a 0 step means no cap
	// (the portfolio's limit and the throughput still hold).
	Steps []int
	// MinShare is the share of the day's cap a day must have sent to count as clean.
	MinShare float64
	// MaxFailureRate is the highest share of the day's sends that may fail with a quality
	// error (131026, 131048, 131031, 368; not 131049) on a clean day.
	MaxFailureRate float64
	// MaxOptOutRate is the highest share of the day's sends that may opt out (words or
	// Meta's marketing stop) on a clean day.
	MaxOptOutRate float64
	// StepBack is how many steps a dirty day goes back.
	StepBack int
	// RestartAfter is the idle time after which a number starts the ramp again.
	RestartAfter time.Duration
}

// DefaultRamp returns the documented default: 50 contacts on the first day, doubling
// after each clean day to 25,600 on day 10 and no cap from day 11.
func DefaultRamp() Ramp {
	return Ramp{
		Steps:          []int{50, 100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 0},
		MinShare:       0.5,
		MaxFailureRate: 0.05,
		MaxOptOutRate:  0.01,
		StepBack:       1,
		RestartAfter:   30 * 24 * time.Hour,
	}
}

// Validate reports a ramp that cannot work.
func (r Ramp) Validate() error {
	if len(r.Steps) == 0 {
		return fmt.Errorf("the warm-up ramp has no steps")
	}
	for i, s := range r.Steps {
		if s < 0 || (s == 0 && i != len(r.Steps)-1) {
			return fmt.Errorf("warm-up step %d is %d: each step is a positive daily cap, and only the last may be 0 (no cap)", i+1, s)
		}
	}
	if r.MinShare < 0 || r.MinShare > 1 || r.MaxFailureRate < 0 || r.MaxOptOutRate < 0 {
		return fmt.Errorf("warm-up shares and rates must be between 0 and 1")
	}
	return nil
}

// Warmup is where a number stands on its ramp.
type Warmup struct {
	// Step indexes Ramp.Steps.
	Step int `json:"step"`
	// Day is the last day judged, as YYYY-MM-DD in the day zone; "" for a new number.
	Day string `json:"day,omitempty"`
	// LastSend is the number's last campaign send.
	LastSend time.Time `json:"last_send,omitzero"`
}

// Cap returns the daily cap at w (0: no cap).
func (r Ramp) Cap(w Warmup) int {
	return r.Steps[min(max(w.Step, 0), len(r.Steps)-1)]
}

// LastCap returns the highest capped step (0 when no step has a cap).
func (r Ramp) LastCap() int {
	for i := len(r.Steps) - 1; i >= 0; i-- {
		if r.Steps[i] > 0 {
			return r.Steps[i]
		}
	}
	return 0
}

// DayResult is what a number did on one day: the input of Judge.
type DayResult struct {
	Day             string
	Sent            int
	QualityFailures int
	OptOuts         int
}

// Verdict names how a day was judged.
type Verdict string

// Verdicts.
const (
	Clean Verdict = "clean" // the number climbs a step
	Quiet Verdict = "quiet" // too little was sent to tell; the step holds
	Dirty Verdict = "dirty" // too many failures or opt-outs; the number goes back
)

// Judge returns the warm-up after day d and the verdict with a reason. Judging the same
// day twice changes nothing, so every replica may run it.
func (r Ramp) Judge(w Warmup, d DayResult) (Warmup, Verdict, string) {
	if d.Day <= w.Day {
		return w, Quiet, "day " + d.Day + " was judged already"
	}
	w.Day = d.Day
	limit := r.Cap(w)
	if d.Sent > 0 {
		if rate := float64(d.QualityFailures) / float64(d.Sent); rate > r.MaxFailureRate {
			w.Step = max(w.Step-r.StepBack, 0)
			return w, Dirty, fmt.Sprintf("%.1f%% of sends failed with quality errors (at most %.1f%%)", 100*rate, 100*r.MaxFailureRate)
		}
		if rate := float64(d.OptOuts) / float64(d.Sent); rate > r.MaxOptOutRate {
			w.Step = max(w.Step-r.StepBack, 0)
			return w, Dirty, fmt.Sprintf("%.1f%% of recipients opted out (at most %.1f%%)", 100*rate, 100*r.MaxOptOutRate)
		}
	}
	if limit == 0 {
		return w, Clean, "no cap left to lift"
	}
	if float64(d.Sent) < r.MinShare*float64(limit) {
		return w, Quiet, fmt.Sprintf("sent %d of a cap of %d: too few to judge", d.Sent, limit)
	}
	w.Step = min(w.Step+1, len(r.Steps)-1)
	return w, Clean, fmt.Sprintf("sent %d cleanly; the cap rises to %s", d.Sent, capText(r.Cap(w)))
}

func capText(n int) string {
	if n == 0 {
		return "none"
	}
	return fmt.Sprint(n)
}

// Wake returns w for a number about to send at now: one idle for RestartAfter starts the
// ramp again.
func (r Ramp) Wake(w Warmup, now time.Time) Warmup {
	if !w.LastSend.IsZero() && r.RestartAfter > 0 && now.Sub(w.LastSend) >= r.RestartAfter {
		w.Step = 0
	}
	return w
}
