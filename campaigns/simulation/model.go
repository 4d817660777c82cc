package simulation

import "time"

// Model is the modelled audience and the modelled Meta. Every value is an assumption an
// operator can calibrate (FitHistory, or by hand); DefaultModel documents the defaults.
type Model struct {
	// Seed makes a run reproducible.
	Seed uint64

	// Per send: P(the number is not on WhatsApp, 131026) and P(the recipient is at Meta's
	// per-user marketing cap, 131049; retried on the ladder, never a quality signal).
	Undeliverable float64
	Fatigued      float64
	// Per delivered message, at no pressure: P(read), P(reply) among those read, P(opt-out),
	// P(a negative reply), P(block) and P(report). Blocks reach wasla (where Meta reports
	// them); reports only Meta's rating.
	Read, Reply, OptOut, Negative, Block, Report float64

	// Pressure: a number's day is compared with what it sent before (Reference: twice its
	// busiest day of the last 7 that left its rating GREEN — trust is earned by clean
	// days, not by a burst — at least Floor), and its hour with a tenth of that. The
	// share above the reference, Excess, makes opt-outs, negative replies, blocks and
	// reports likelier by a factor 1 + Growth·Excess, at most MaxFactor; each 131049 retry
	// of one contact adds RetryGrowth to the factor (the contact received too much).
	Floor       int
	Growth      float64
	MaxFactor   float64
	RetryGrowth float64
	// SpamLimitAt: a number whose pressure factor passes it gets 131048 (Meta's spam rate
	// limit) for that share of the excess of its sends, capped at half of them.
	SpamLimitAt float64

	// Meta's rating of a number: the negative rate (blocks and reports per delivered
	// message) over 7 days, each day weighing RatingDecay times the one after it; YELLOW
	// at YellowAt or more, RED at RedAt or more. A number RED on RestrictAfter consecutive
	// daily ratings of days on which it delivered messages is restricted (health_status:
	// cannot send): Meta restricts a number that goes on sending while RED; one that
	// stops sits it out.
	RatingDecay     float64
	YellowAt, RedAt float64
	RestrictAfter   int
	// Template pacing: in its first TemplateHold, a new template's first TemplateThreshold
	// sends go out; the rest are held until the hold ends, then released, or dropped when
	// the negative rate of those delivered passes TemplateDropAt.
	TemplateThreshold int
	TemplateHold      time.Duration
	TemplateDropAt    float64
}

// DefaultModel returns the documented defaults: an opted-in Gulf audience for a
// marketing template. 1.5 % of numbers are not on WhatsApp and 2 % of recipients are at
// their marketing cap; of those delivered 60 % read, 8 % of readers reply, 0.3 % opt out,
// 0.3 % answer negatively, 0.2 % block and 0.05 % report — a list that wanted the message.
// Pressure: floor 100, growth 0.5 per reference exceeded, at most 15 times the base rates
// (a number sending 30 times its history is treated as spam by a third of its readers'
// thumbs), retry growth 0.5, the spam limit past a factor of 5. Meta: decay 0.7 (the
// health score's), YELLOW at 1 %, RED at 2 % negative, restricted after 2 RED days;
// template pacing lets 1,000 sends out in the first 6 hours, then drops the rest when
// more than 3 % of those delivered blocked or reported (Meta drops on a strong signal).
func DefaultModel() Model {
	return Model{
		Seed:          1,
		Undeliverable: 0.015, Fatigued: 0.02,
		Read: 0.60, Reply: 0.08, OptOut: 0.003, Negative: 0.003, Block: 0.002, Report: 0.0005,
		Floor: 100, Growth: 0.5, MaxFactor: 15, RetryGrowth: 0.5, SpamLimitAt: 5,
		RatingDecay: 0.7, YellowAt: 0.01, RedAt: 0.02, RestrictAfter: 2,
		TemplateThreshold: 1000, TemplateHold: 6 * time.Hour, TemplateDropAt: 0.03,
	}
}

// QuietModel is the forecast's model: every message is delivered and read, nobody
// reacts, Meta never holds or restricts — what the pacing alone allows.
func QuietModel() Model {
	m := DefaultModel()
	m.Undeliverable, m.Fatigued = 0, 0
	m.Read, m.Reply, m.OptOut, m.Negative, m.Block, m.Report = 1, 0, 0, 0, 0, 0
	m.Growth, m.SpamLimitAt = 0, 0
	m.TemplateThreshold = 0
	m.RestrictAfter = 0
	return m
}

// factor returns the pressure factor of a number that sent dayN today and hourN this
// hour, against its busiest recent day.
func (m Model) factor(dayN, hourN, busiest int) float64 {
	ref := float64(max(m.Floor, 2*busiest))
	excess := max(0, float64(dayN)/ref-1, float64(hourN)/(ref/10)-1)
	return min(m.MaxFactor, 1+m.Growth*excess)
}
