package health

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Rating is Meta's quality rating of a number.
type Rating string

// Ratings, as the Graph API and the phone_number_quality_update webhook name them.
const (
	Unknown Rating = ""
	Green   Rating = "GREEN"
	Yellow  Rating = "YELLOW"
	Red     Rating = "RED"
)

// MetaStatus is Meta's latest word on a number: the quality webhook, account_update and
// the periodic read of health_status (WHATSAPP-2026.md §A2, §A4).
type MetaStatus struct {
	Rating Rating `json:"rating,omitempty"`
	// Flagged is true when Meta flagged the number (a quality event "FLAGGED", or a rating
	// falling to RED): the number is about to lose its limit or be restricted.
	Flagged bool `json:"flagged,omitempty"`
	// CannotSend is health_status.can_send_message = BLOCKED for the number, its account
	// or business, or an account_update that restricts or bans it.
	CannotSend bool `json:"cannot_send,omitempty"`
	// Reason is Meta's reason, for the operator.
	Reason string `json:"reason,omitempty"`
	// Throughput (STANDARD, HIGH) and Limit (the portfolio's TIER_2K, ...) are what the
	// last poll of the Graph API read, and Checked when: shown to the operator, not
	// scored.
	Throughput string    `json:"throughput,omitempty"`
	Limit      string    `json:"limit,omitempty"`
	Checked    time.Time `json:"checked,omitzero"`
}

// Weights are the parts of the score: how many points a percent of sends with each
// signal costs, how fast old days fade, and how much engagement earns. Defaults documents
// each value and why.
type Weights struct {
	// Decay is the weight of a day relative to the day after it: today weighs 1,
	// yesterday Decay, six days ago Decay^6.
	Decay float64
	// Prior is a number of clean sends added to every window, so a handful of sends cannot
	// swing the score: 1 block in 3 sends is not a 33 % block rate.
	Prior float64
	// Points lost per percent of sends, by signal.
	Penalty map[Signal]float64
	// Base is the score of a number with no signal at all, and Engagement the most that
	// reads and replies add to it, reached at ReadTarget and ReplyTarget.
	Base, Engagement        float64
	ReadTarget, ReplyTarget float64
	// Meta's rating caps the score: a YELLOW number scores at most YellowCap, a RED or
	// flagged one at most RedCap, one that cannot send 0.
	YellowCap, RedCap float64
}

// DefaultWeights returns the documented defaults:
//
//   - Decay 0.7: today 1, yesterday 0.7, ... six days ago 0.12 — Meta judges quality over
//     seven days with recent days weighing most (WHATSAPP-2026.md §A2), and a bad day
//     should weigh a little under half after two days and fade by the week's end.
//   - Prior 200 clean sends: below a few hundred sends a rate is noise.
//   - Penalties per percent of sends: blocks and reports 25 (they are what Meta's rating is
//     made of: 2 % costs 50 points), restrictions 40 (Meta already acted), the spam limit
//     131048 20 (Meta is throttling the number), opt-outs 10, negative replies 8 (the
//     early form of a block), undeliverable 131026 2 (mostly a stale list, but a list full
//     of dead numbers is how spammers look).
//   - Base 90, up to 10 more for engagement, half at a 50 % read rate and half at a 10 %
//     reply rate: people who read and answer do not report.
//   - YELLOW caps the score at 60 and RED or flagged at 25: Meta's word overrides ours
//     when it is worse.
func DefaultWeights() Weights {
	return Weights{
		Decay: 0.7,
		Prior: 200,
		Penalty: map[Signal]float64{
			Block: 25, Restricted: 40, SpamLimit: 20, OptOut: 10, Negative: 8, Undeliverable: 2,
		},
		Base: 90, Engagement: 10, ReadTarget: 0.5, ReplyTarget: 0.1,
		YellowCap: 60, RedCap: 25,
	}
}

// Score is a number's health: 0 (burnt) to 100.
type Score struct {
	Value float64
	// Parts says what moved the score, for the operator ("block 1.2% -30").
	Parts []string
}

// Compute scores a number from its last days of counts, days[0] being today, and Meta's
// status:
//
//	W      = Σ_d Decay^d · days[d]                  (d = 0..6, a weighted sum of counts)
//	rate_s = W[s] / (W[sent] + Prior)
//	score  = Base + Engagement · (½·min(1, rate_read/ReadTarget) + ½·min(1, rate_reply/ReplyTarget))
//	         − Σ_s Penalty[s] · 100 · rate_s
//
// clamped to [0, 100], then capped by Meta's rating.
func (w Weights) Compute(days []Counts, meta MetaStatus) Score {
	var sum [numSignals]float64
	weight := 1.0
	for d, c := range days {
		if d >= 7 {
			break
		}
		for i, n := range c {
			sum[i] += weight * float64(n)
		}
		weight *= w.Decay
	}
	denom := sum[Sent] + w.Prior
	var parts []string
	score := w.Base
	if sum[Sent] > 0 {
		read := math.Min(1, sum[Read]/denom/w.ReadTarget)
		reply := math.Min(1, sum[Replied]/denom/w.ReplyTarget)
		score += w.Engagement * (read + reply) / 2
	}
	for s := Signal(0); s < numSignals; s++ {
		p := w.Penalty[s]
		if p == 0 || sum[s] == 0 {
			continue
		}
		rate := sum[s] / denom
		loss := p * 100 * rate
		score -= loss
		parts = append(parts, fmt.Sprintf("%s %.2f%% -%.0f", s, 100*rate, loss))
	}
	score = math.Max(0, math.Min(100, score))
	switch {
	case meta.CannotSend:
		score = 0
		parts = append(parts, "Meta: cannot send")
	case meta.Rating == Red || meta.Flagged:
		if score > w.RedCap {
			score = w.RedCap
			parts = append(parts, "Meta: "+strings.ToLower(string(Red))+" or flagged")
		}
	case meta.Rating == Yellow:
		if score > w.YellowCap {
			score = w.YellowCap
			parts = append(parts, "Meta: yellow")
		}
	}
	return Score{Value: score, Parts: parts}
}
