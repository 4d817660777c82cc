package cli

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/simulation"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/config"
)

// planInput are the flags plan and simulate share for a real campaign file: the serve
// configuration (its numbers' portfolios and throughput, the inbox's portfolio, the
// health thresholds) and the template's approval date, which a campaign file does not
// hold.
type planInput struct {
	config, approved *string
}

func addPlanInput(fs *flag.FlagSet) planInput {
	return planInput{
		config:   fs.String("config", "", "the serve configuration `file`, for a campaign file: its numbers' portfolios and throughput, the inbox's portfolio and the health thresholds"),
		approved: fs.String("template-approved", "", "the template's approval `date` (YYYY-MM-DD), for a campaign file: warns when Meta may still pace it"),
	}
}

// load reads FILE: a campaign file (*.campaign.yaml) with the configuration, or a plan
// file.
func (in planInput) load(path string, errOut io.Writer) (simulation.Scenario, simulation.Context, bool) {
	if !campaignfile.IsCampaignFile(path) {
		sc, cx, err := loadPlan(path)
		if err != nil {
			fmt.Fprintf(errOut, "%v\n", err)
			return sc, cx, false
		}
		return sc, cx, true
	}
	camp, diags := campaignfile.Load(path)
	if diags != nil {
		fmt.Fprintf(errOut, "%v\n", diags)
		return simulation.Scenario{}, simulation.Context{}, false
	}
	var cfg *config.Config
	if *in.config != "" {
		var ok bool
		if cfg, ok = loadConfig("campaign", *in.config, errOut); !ok {
			return simulation.Scenario{}, simulation.Context{}, false
		}
	}
	sc, cx, err := campaignScenario(camp, cfg, *in.approved, time.Now(), readAudience)
	if err != nil {
		fmt.Fprintf(errOut, "%v\n", err)
		return sc, cx, false
	}
	return sc, cx, true
}

// campaignScenario turns a campaign file into the scenario the live runner would play:
// its pacing over the defaults (as runner.compile builds it), each number's portfolio
// and throughput from the file, else from the configuration, else its own portfolio;
// its audience imported as the campaign imports it (left-out rows counted by reason).
func campaignScenario(camp *campaignfile.Campaign, cfg *config.Config, approved string, now time.Time, readCSV audienceReader) (simulation.Scenario, simulation.Context, error) {
	var sc simulation.Scenario
	var cx simulation.Context
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: "+format, append([]any{camp.File}, a...)...)
	}
	sc.Pacing = camp.Pacing(pacing.Defaults())
	sc.Start = now.In(camp.Zone).Truncate(time.Hour)
	if !camp.Start.IsZero() {
		sc.Start = camp.Start
	}
	sc.MaxDays, sc.Observe = 60, 3
	if !camp.End.IsZero() {
		sc.MaxDays = max(1, int(camp.End.Sub(sc.Start).Hours()/24)+1)
	}
	configured := map[chat.NumberID]config.Number{}
	if cfg != nil {
		for _, n := range cfg.Numbers {
			configured[chat.NumberID(n.ID)] = n
		}
		cx.InboxPortfolio = cfg.Inbox().Portfolio
	}
	for _, n := range camp.Numbers {
		c, ok := configured[n.ID]
		if cfg != nil && !ok {
			return sc, cx, bad("number %s is not in %s: wasla serve would refuse to run the campaign", n.ID, cfg.File)
		}
		pn := pacing.Number{NumberRef: pacing.NumberRef{Number: n.ID, Portfolio: cmp.Or(n.Portfolio, c.Portfolio, "waba-"+string(n.ID))},
			Tier: n.Tier, Throughput: cmp.Or(n.Throughput, c.Throughput)}
		if n.Ramp != nil {
			ramp := sc.Pacing.Ramp
			ramp.Steps = n.Ramp
			pn.Ramp = &ramp
		}
		sc.Pool = append(sc.Pool, pn)
	}
	if _, err := pacing.NewPlanner(sc.Pacing, sc.Pool); err != nil {
		return sc, cx, bad("%v", err)
	}
	sc.Health = simulation.DefaultHealth()
	sc.Health.StopLoss = health.CampaignStopLoss(sc.Pacing.Canary.MaxOptOutRate, sc.Pacing.Canary.MaxFailureRate) // as the live runner
	if cfg != nil {
		h := cfg.Health
		p := &sc.Health.Policy
		p.SlowBelow, p.StopBelow, p.ResumeAbove = float64(h.SlowBelow), float64(h.StopBelow), float64(h.ResumeAbove)
		p.MinAllowance, p.CleanDays = float64(h.MinAllowance)/100, h.CleanDays
	}
	sc.Category = "utility"
	if camp.Template.Marketing {
		sc.Category = "marketing"
	}
	if cfg != nil && len(cfg.Rates.Prices) > 0 {
		// The live runner's prices (server campaignRates): the configuration's table.
		rates, err := outcome.ParseRates(cfg.Rates.Currency, cfg.Rates.Prices)
		if err != nil {
			return sc, cx, fmt.Errorf("%s: %w", cfg.File, err)
		}
		sc.Rates = rates
	}
	if approved != "" {
		day, err := time.ParseInLocation(time.DateOnly, approved, camp.Zone)
		if err != nil {
			return sc, cx, fmt.Errorf("--template-approved %q: write a date such as 2026-02-20", approved)
		}
		cx.TemplateAge = max(sc.Start.Sub(day), time.Minute)
	}
	contacts, left, err := readCSV(camp.Audience.CSV, camp.Audience.PhoneColumn, camp.Audience.DefaultCountry, camp.Template.Marketing)
	if err != nil {
		return sc, cx, bad("audience: %v", err)
	}
	if len(contacts) == 0 {
		return sc, cx, bad("the audience %s has no recipient to send to", camp.Audience.CSV)
	}
	sc.Contacts, cx.LeftOut = contacts, left
	return sc, cx, nil
}
