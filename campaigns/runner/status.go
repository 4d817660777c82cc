package runner

import (
	"context"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
)

// Report is a campaign's live progress: its record, its audience and the outcome
// counters in all and per number.
type Report struct {
	Record
	Audience int `json:"audience"`
	// Queued are contacts not sent to yet: pending, in flight or waiting for a retry.
	Queued  int                                `json:"queued"`
	Total   outcome.Counters                   `json:"total"`
	Numbers map[chat.NumberID]outcome.Counters `json:"numbers"`
	// Cost is the estimated cost (millionths of the rate table's currency, shown with
	// outcome.Micro); Meta changes its rates.
	Cost string `json:"cost_estimated"`
	// Warmups are where the campaign's numbers stand on their warm-up ramps (shared by
	// every campaign that sends from them).
	Warmups map[chat.NumberID]pacing.Warmup `json:"warmups,omitempty"`
}

// Status returns a campaign's report.
func (c *Control) Status(ctx context.Context, name string) (Report, error) {
	rec, err := c.Get(ctx, name)
	if err != nil {
		return Report{}, err
	}
	aud, err := c.Audience(name)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Record: rec, Numbers: map[chat.NumberID]outcome.Counters{}}
	if rep.Audience, err = aud.Len(ctx); err != nil {
		return Report{}, err
	}
	nums, err := aud.Numbers(ctx)
	if err != nil {
		return Report{}, err
	}
	for _, n := range nums {
		f, err := aud.Counters(ctx, n)
		if err != nil {
			return Report{}, err
		}
		cn := outcome.FromFields(f)
		rep.Numbers[n] = cn
		rep.Total.Add(cn)
	}
	done := rep.Total.Sent + rep.Total.FailedTotal() + rep.Total.OptedOut - rep.Total.FailedAfterSent
	rep.Queued = max(rep.Audience-int(done), 0)
	rep.Cost = outcome.Micro(rep.Total.Cost).String()
	if len(nums) > 0 {
		if rep.Warmups, err = pacing.NewRedisState(c.client, c.prefix).Load(ctx, nums); err != nil {
			return Report{}, err
		}
	}
	return rep, nil
}
