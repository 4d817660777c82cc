package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
)

// judgeLease is how long a replica holds a day's judge mark: long enough to read the day
// and save the step, short enough that a replica dying in between delays the judgement by
// a pass or two, not a day.
const judgeLease = time.Minute

// warmups returns the campaign's planner with its numbers' warm-ups as the shared
// Warmups hold them, after advancing each number whose last finished day (yesterday in
// the day zone) is not judged yet: one HMGET per pass, and once a day per number a judge
// mark that one replica wins.
func (r *Runner) warmups(ctx context.Context, c *compiled, now time.Time) (*pacing.Planner, error) {
	pool := c.planner.Pool()
	ids := make([]chat.NumberID, len(pool))
	for i, n := range pool {
		ids[i] = n.Number
	}
	ws, err := r.state.Load(ctx, ids)
	if err != nil {
		return nil, err
	}
	day := c.planner.Yesterday(now)
	for _, n := range pool {
		w, j, err := r.state.Advance(ctx, n.NumberRef, c.planner.RampOf(n.Number), ws[n.Number], day, judgeLease)
		if err != nil {
			return nil, err
		}
		ws[n.Number] = w
		if j != nil {
			r.o.Logger.Info("campaign number warm-up judged", slog.String("number", string(j.Number)),
				slog.String("day", j.Result.Day), slog.String("verdict", string(j.Verdict)), slog.String("reason", j.Reason),
				slog.Int("sent", j.Result.Sent), slog.Int("step_before", j.Before.Step), slog.Int("step", j.After.Step))
			r.o.Metrics.warmup(j.Number, j.After.Step, string(j.Verdict))
		}
	}
	return c.planner.WithWarmups(ws), nil
}

// noteOutcome counts a failure that matters to the warm-up against the number's day: a
// quality failure, or Meta's marketing stop (131050), an opt-out.
func (r *Runner) noteOutcome(ctx context.Context, number chat.NumberID, day string, code int) error {
	switch {
	case number == "" || code == 0:
		return nil
	case outcome.QualitySignal(code):
		return r.state.Note(ctx, number, day, pacing.OutcomeQualityFailure)
	case outcome.Classify(code, 0) == outcome.OptedOutByMeta:
		return r.state.Note(ctx, number, day, pacing.OutcomeOptOut)
	}
	return nil
}

// NoteOptOut counts a contact's opt-out (Meta's user_preferences marketing stop, a
// STOP reply) against the number's day, for its warm-up judgement.
func (r *Runner) NoteOptOut(ctx context.Context, number chat.NumberID, at time.Time) error {
	return r.state.Note(ctx, number, r.dayOf(at), pacing.OutcomeOptOut)
}

// dayOf returns the day of t in the base configuration's day zone, for outcomes that
// arrive without a campaign (status webhooks, opt-outs).
func (r *Runner) dayOf(t time.Time) string {
	z := r.o.Pacing.DayZone
	if z == nil {
		z = time.UTC
	}
	return t.In(z).Format(time.DateOnly)
}
