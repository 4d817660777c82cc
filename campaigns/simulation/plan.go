package simulation

import (
	"fmt"
	"slices"
	"time"
)

// TemplatePacingPeriod is how long Meta is assumed to pace a new template (hold part of
// its sends while it reads feedback). Meta publishes no figure; a week is the assumption.
const TemplatePacingPeriod = 7 * 24 * time.Hour

// Context is what a forecast knows beyond the scenario, for its warnings.
type Context struct {
	// InboxPortfolio is the portfolio of the central inbox number ("" unknown).
	InboxPortfolio string
	// TemplateAge is the template's age at the start (0: unknown).
	TemplateAge time.Duration
	// LeftOut counts the recipients the audience import left out, by reason.
	LeftOut map[string]int
}

// Warnings returns what an operator should know before sending sc, given the forecast r.
func Warnings(sc Scenario, r *Result, c Context) []string {
	var out []string
	if c.InboxPortfolio != "" {
		for _, n := range sc.Pool {
			if n.Portfolio == c.InboxPortfolio {
				out = append(out, fmt.Sprintf("number %s shares portfolio %s with the inbox: the campaign spends the inbox's messaging limit, and a quality drop reaches the inbox", n.Number, n.Portfolio))
			}
		}
	}
	if c.TemplateAge > 0 && c.TemplateAge < TemplatePacingPeriod {
		canary := "the canary is off: consider turning it on"
		if sc.Pacing.Canary.Share > 0 {
			canary = "the canary's pause covers the first hold"
		}
		out = append(out, fmt.Sprintf("the template is %.1f days old: Meta paces new templates (holds part of the sends, then releases or drops them); %s",
			c.TemplateAge.Hours()/24, canary))
	}
	reasons := make([]string, 0, len(c.LeftOut))
	for k := range c.LeftOut {
		reasons = append(reasons, k)
	}
	slices.Sort(reasons)
	for _, k := range reasons {
		if n := c.LeftOut[k]; n > 0 {
			out = append(out, fmt.Sprintf("%d recipients left out: %s", n, leftOutWhy(k)))
		}
	}
	if r.Unsent > 0 {
		why := fmt.Sprintf("the audience is not finished within %d days", sc.MaxDays)
		if r.Stopped != "" {
			why = r.Stopped
		}
		out = append(out, fmt.Sprintf("%d contacts would not be sent: %s", r.Unsent, why))
	}
	return out
}

func leftOutWhy(reason string) string {
	switch reason {
	case "invalid":
		return "invalid (no usable phone number)"
	case "no_marketing":
		return "Meta does not deliver marketing templates to their country (US +1)"
	case "opted_out":
		return "they opted out"
	case "duplicate":
		return "duplicates of an earlier row"
	}
	return reason
}
