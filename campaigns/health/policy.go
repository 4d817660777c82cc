package health

import (
	"fmt"
	"maps"
	"math"
	"time"
)

// State is what the policy lets a number do.
type State string

// States.
const (
	Active  State = "active"  // sends its full warm-up allowance
	Slowed  State = "slowed"  // sends a share of it, more slowly
	Stopped State = "stopped" // sends nothing until clean days bring it back
	Retired State = "retired" // restricted or banned: its audience goes to the others
)

// Policy turns a score and Meta's status into a State and an allowance. Its thresholds
// are configuration; DefaultPolicy documents the defaults and why.
type Policy struct {
	// SlowBelow: under this score a number is slowed; its allowance falls linearly from 1
	// at SlowBelow to MinAllowance at StopBelow.
	SlowBelow    float64
	StopBelow    float64
	MinAllowance float64
	// ResumeAbove and CleanDays: a stopped number resumes after CleanDays consecutive
	// days whose score is at least ResumeAbove and on which Meta's rating is not RED, on
	// warm-up step ResumeStep (0: the first).
	ResumeAbove float64
	CleanDays   int
	ResumeStep  int
}

// DefaultPolicy returns the documented defaults: slowed under 80 (a number at 90 with a
// 0.4 % block rate is already there), stopped under 40 or when Meta says RED or flagged;
// a slowed number keeps at least a quarter of its allowance, so it still shows whether
// things improve; a stopped number resumes after 2 clean days at 70 or more, on the first
// warm-up step, because Meta judges a number that comes back as it judges a new one.
func DefaultPolicy() Policy {
	return Policy{SlowBelow: 80, StopBelow: 40, MinAllowance: 0.25, ResumeAbove: 70, CleanDays: 2, ResumeStep: 0}
}

// Validate reports thresholds that cannot work.
func (p Policy) Validate() error {
	if p.StopBelow > p.SlowBelow || p.MinAllowance < 0 || p.MinAllowance > 1 || p.CleanDays < 0 {
		return fmt.Errorf("health policy: stop_below (%g) must not exceed slow_below (%g), min_allowance (%g) must be between 0 and 1, and clean_days (%d) may not be negative",
			p.StopBelow, p.SlowBelow, p.MinAllowance, p.CleanDays)
	}
	return nil
}

// Standing is a number's place under the policy, kept between evaluations.
type Standing struct {
	State State `json:"state"`
	// Allowance is the share of the warm-up cap the number may send (1: all).
	Allowance float64 `json:"allowance"`
	// Clean counts consecutive clean days of a stopped number.
	Clean int `json:"clean,omitempty"`
	// LastDay is the last day judged (YYYY-MM-DD), so a day counts once.
	LastDay string `json:"last_day,omitempty"`
	// ResumeStep is set when the number resumes: the warm-up step to restart it on.
	ResumeStep int    `json:"resume_step,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// ReasonCode and ReasonArgs say the same as Reason (English, for logs) in a form a
	// page renders in its own language: a Reason* code and its values (numbers, or
	// Meta's words under "meta").
	ReasonCode string         `json:"reason_code,omitempty"`
	ReasonArgs map[string]any `json:"reason_args,omitempty"`
}

// Reason codes of a Standing.
const (
	ReasonCannotSend   = "cannot_send"   // args: meta (Meta's words)
	ReasonResumed      = "resumed"       // args: clean_days, score, step
	ReasonMetaRed      = "meta_red"      // no args
	ReasonStoppedScore = "stopped_score" // args: score, threshold
	ReasonSlowedScore  = "slowed_score"  // args: score, threshold, allowance (percent)
	ReasonRecovered    = "recovered"     // args: score
)

// same reports whether two standings hold the same values (a standing read back from
// Redis equals the one the policy makes again: its args are float64s and strings).
func (s Standing) same(o Standing) bool {
	return s.State == o.State && s.Allowance == o.Allowance && s.Clean == o.Clean && s.LastDay == o.LastDay &&
		s.ResumeStep == o.ResumeStep && s.Reason == o.Reason && s.ReasonCode == o.ReasonCode && maps.Equal(s.ReasonArgs, o.ReasonArgs)
}

// NewStanding is a number's standing before anything is known: active, full allowance.
func NewStanding() Standing { return Standing{State: Active, Allowance: 1} }

// Evaluate returns s after a score at now. day is the day being judged (YYYY-MM-DD):
// the clean-day count of a stopped number grows once per day, however often Evaluate
// runs. The second result is true when the state or allowance changed, with the reason
// in the new standing.
func (p Policy) Evaluate(s Standing, sc Score, meta MetaStatus, day string) (Standing, bool) {
	old := s
	if s.State == "" {
		s = NewStanding()
	}
	newDay := day > s.LastDay
	if newDay {
		s.LastDay = day
	}
	switch {
	case s.State == Retired:
		return s, false // only an operator brings a retired number back
	case meta.CannotSend:
		s = Standing{State: Retired, LastDay: s.LastDay, Reason: "Meta: the number cannot send (" + orUnknown(meta.Reason) + ")",
			ReasonCode: ReasonCannotSend, ReasonArgs: map[string]any{"meta": orUnknown(meta.Reason)}}
	case s.State == Stopped:
		if !newDay {
			return s, false
		}
		if sc.Value >= p.ResumeAbove && meta.Rating != Red && !meta.Flagged {
			s.Clean++
		} else {
			s.Clean = 0
		}
		if s.Clean < p.CleanDays {
			return s, s.Clean != old.Clean
		}
		s = Standing{State: Active, Allowance: 1, LastDay: s.LastDay, ResumeStep: p.ResumeStep,
			Reason:     fmt.Sprintf("%d clean days at %.0f; resumes on warm-up step %d", p.CleanDays, sc.Value, p.ResumeStep+1),
			ReasonCode: ReasonResumed, ReasonArgs: map[string]any{"clean_days": float64(p.CleanDays), "score": round(sc.Value), "step": float64(p.ResumeStep + 1)}}
	case meta.Rating == Red || meta.Flagged:
		s = Standing{State: Stopped, LastDay: s.LastDay, Reason: "Meta rates the number RED or flagged it", ReasonCode: ReasonMetaRed}
	case sc.Value < p.StopBelow:
		s = Standing{State: Stopped, LastDay: s.LastDay, Reason: fmt.Sprintf("score %.0f is under %.0f", sc.Value, p.StopBelow),
			ReasonCode: ReasonStoppedScore, ReasonArgs: map[string]any{"score": round(sc.Value), "threshold": p.StopBelow}}
	case sc.Value < p.SlowBelow:
		a := p.MinAllowance + (1-p.MinAllowance)*(sc.Value-p.StopBelow)/(p.SlowBelow-p.StopBelow)
		a = float64(int(a*20)) / 20                                   // in steps of 5 %
		if old.State == Slowed && math.Abs(a-old.Allowance) < 0.099 { // under 10 points, floats aside
			return s, false // a score wobbling by a few points is no event
		}
		s = Standing{State: Slowed, Allowance: a, LastDay: s.LastDay, Reason: fmt.Sprintf("score %.0f is under %.0f: %.0f%% of the allowance", sc.Value, p.SlowBelow, 100*a),
			ReasonCode: ReasonSlowedScore, ReasonArgs: map[string]any{"score": round(sc.Value), "threshold": p.SlowBelow, "allowance": round(100 * a)}}
	default:
		s = Standing{State: Active, Allowance: 1, LastDay: s.LastDay}
		if old.State != Active {
			s.Reason = fmt.Sprintf("score %.0f", sc.Value)
			s.ReasonCode, s.ReasonArgs = ReasonRecovered, map[string]any{"score": round(sc.Value)}
		}
	}
	changed := s.State != old.State || s.Allowance != old.Allowance
	return s, changed
}

// round gives a reason's figure as its English text shows it (float64, as JSON reads it
// back from Redis).
func round(v float64) float64 { return math.Round(v) }

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// StopLoss pauses a whole campaign when its opt-outs or quality failures pass a share of
// its sends, once it has sent MinSends (fewer prove nothing).
type StopLoss struct {
	MaxOptOutRate  float64
	MaxFailureRate float64
	MinSends       int
}

// DefaultStopLoss returns 3 % opt-outs or 10 % quality failures after 500 sends: above
// the canary's thresholds (2 %, 10 %), because a whole campaign's rates are steadier
// than a slice's and a pause costs the business its day.
func DefaultStopLoss() StopLoss {
	return StopLoss{MaxOptOutRate: 0.03, MaxFailureRate: 0.10, MinSends: 500}
}

// CampaignStopLoss is the stop-loss of a campaign file's stop_loss thresholds (shares,
// 0.02 for 2 %), judged after DefaultStopLoss's MinSends: the live runner's, and the one
// plan and simulate play for a campaign file.
func CampaignStopLoss(maxOptOutRate, maxFailureRate float64) StopLoss {
	return StopLoss{MaxOptOutRate: maxOptOutRate, MaxFailureRate: maxFailureRate, MinSends: DefaultStopLoss().MinSends}
}

// Check returns a reason when the campaign's totals pass a threshold, else "".
func (l StopLoss) Check(total Counts) string {
	sent := total[Sent]
	if sent < l.MinSends || sent == 0 {
		return ""
	}
	if r := float64(total[OptOut]) / float64(sent); l.MaxOptOutRate > 0 && r > l.MaxOptOutRate {
		return fmt.Sprintf("%d of %d recipients opted out (%.1f%%, the stop-loss is %.1f%%)", total[OptOut], sent, 100*r, 100*l.MaxOptOutRate)
	}
	failed := total[Undeliverable] + total[SpamLimit] + total[Restricted]
	if r := float64(failed) / float64(sent); l.MaxFailureRate > 0 && r > l.MaxFailureRate {
		return fmt.Sprintf("%d of %d sends failed (%.1f%%, the stop-loss is %.1f%%)", failed, sent, 100*r, 100*l.MaxFailureRate)
	}
	return ""
}

// Event is one change the policy made: the log line, the metric and the webhook.
type Event struct {
	At       time.Time `json:"at"`
	Campaign string    `json:"campaign,omitempty"`
	// Number is empty for a campaign-wide event (the stop-loss).
	Number    string  `json:"number,omitempty"`
	From      State   `json:"from,omitempty"`
	To        State   `json:"to"`
	Allowance float64 `json:"allowance"`
	Score     float64 `json:"score"`
	Reason    string  `json:"reason"`
}
