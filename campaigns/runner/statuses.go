package runner

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/chat"
)

// Status is a status webhook of a message, as the runner needs it; the server converts
// Meta's.
type Status struct {
	CallbackData string
	// Level is 1 sent, 2 delivered, 3 read; 0 with Code for failed.
	Level  int
	Code   int
	WAMID  string
	Number chat.NumberID
	At     time.Time
	// Pricing is the status's pricing block (nil: none came): kept per attempt, and with
	// the rate table it prices the delivered message.
	Pricing *Pricing
}

// Pricing is the pricing block of a status webhook.
type Pricing struct {
	Category     string
	Billable     bool
	PricingModel string
	Type         string
}

// ApplyStatus settles a campaign attempt from its status webhook, found by its callback
// data; it reports false for a status that is not a campaign's or changes nothing (a
// repeat, an older attempt). It needs no compiled campaign, so any replica applies it.
func (r *Runner) ApplyStatus(ctx context.Context, st Status) (bool, error) {
	a, ok := audience.ParseCallbackData(st.CallbackData)
	if !ok {
		return false, nil
	}
	aud, err := r.o.Control.Audience(a.Campaign)
	if err != nil {
		return false, nil
	}
	set := audience.Settlement{Contact: a.Contact, Attempt: a.Attempt, Number: st.Number, At: st.At, WAMID: st.WAMID}
	if set.At.IsZero() {
		set.At = r.o.Clock.Now()
	}
	if st.Level > 0 {
		set.Kind, set.Level = audience.Sent, st.Level
		if p := st.Pricing; p != nil {
			if err := aud.SavePricing(ctx, a.Contact, audience.Pricing{Attempt: a.Attempt, Category: p.Category, Billable: p.Billable, PricingModel: p.PricingModel, Type: p.Type}); err != nil {
				return false, err
			}
			if r.o.Rates != nil && p.Category != "" {
				price, ok := r.o.Rates.Price(p.Category, p.Billable, string(a.Contact))
				if !ok {
					r.o.Logger.Warn("the rate table has no price for a campaign message", slog.String("campaign", a.Campaign), slog.String("category", p.Category))
				}
				set.Cost = int64(price)
			}
		}
	} else {
		set.Kind, set.Code = audience.Failed, st.Code
		switch outcome.Classify(st.Code, 0) {
		case outcome.Fatigued:
			if due, ok := outcome.DefaultLadder().Next(a.Attempt, set.At); ok {
				set.Kind, set.Due = audience.Retrying, due
			}
		case outcome.Transient, outcome.Reassign:
			if due, ok := outcome.DefaultBackoff().Next(a.Attempt, set.At); ok {
				set.Kind, set.Due = audience.Retrying, due
			}
		}
	}
	changed, err := aud.Settle(ctx, set)
	if err == nil && changed {
		r.o.Metrics.status(a.Campaign, st.Number, st.Level, st.Code)
		err = r.noteOutcome(ctx, st.Number, r.dayOf(set.At), st.Code)
	}
	return changed, err
}

// PauseTemplate pauses every running campaign that sends the template name, saying why:
// Meta paused or disabled it (a message_template_status_update), so every send would
// fail. It returns how many campaigns it paused. Resume them when the template is back.
func (r *Runner) PauseTemplate(ctx context.Context, name, why string) (int, error) {
	return r.pauseWhere(ctx, why, func(c *campaignfile.Campaign) bool { return c.Template.Name == name })
}

// CategoryChanged pauses every running campaign that sends the template name planned in
// another category than category (Meta's name: MARKETING, UTILITY, AUTHENTICATION): a
// template moved from utility to marketing costs more, meets the per-user marketing cap
// and is not delivered to US numbers, none of which the campaign planned for. The reason
// says what changed; resume the campaign to accept it. It returns how many it paused.
func (r *Runner) CategoryChanged(ctx context.Context, name, category string) (int, error) {
	category = strings.ToLower(category)
	if category == "" {
		return 0, nil
	}
	planned := func(c *campaignfile.Campaign) string {
		if c.Template.Marketing {
			return "marketing"
		}
		return "utility"
	}
	return r.pauseWhereFn(ctx, func(c *campaignfile.Campaign) (bool, string) {
		if c.Template.Name != name || planned(c) == category {
			return false, ""
		}
		return true, fmt.Sprintf("Meta changed the category of template %s to %s; the campaign planned %s (cost, the per-user marketing cap and who may receive it change): resume it to send as %s",
			name, category, planned(c), category)
	})
}

func (r *Runner) pauseWhere(ctx context.Context, why string, match func(*campaignfile.Campaign) bool) (int, error) {
	return r.pauseWhereFn(ctx, func(c *campaignfile.Campaign) (bool, string) { return match(c), why })
}

// pauseWhereFn pauses the running campaigns match picks, each with match's reason.
func (r *Runner) pauseWhereFn(ctx context.Context, match func(*campaignfile.Campaign) (bool, string)) (int, error) {
	recs, err := r.o.Control.List(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, rec := range recs {
		if rec.State != StateRunning {
			continue
		}
		camp, diags := campaignfile.Parse(rec.File, rec.Source)
		if diags.HasErrors() {
			continue
		}
		ok, why := match(camp)
		if !ok {
			continue
		}
		if _, err := r.o.Control.Set(ctx, rec.Name, "pause", why); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
