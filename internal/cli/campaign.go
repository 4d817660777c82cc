package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/store"
)

const campaignAbout = `
Controls a running deployment's campaigns through its Redis (the one wasla serve uses):

  start FILE      check the campaign file, import its audience CSV and start it; every
                  wasla serve replica picks it up and sends, paced (docs/campaigns.md)
  pause NAME      stop sending until resume
  resume NAME     go on after a pause, or after a stop-loss or template stop
  cancel NAME     stop for good
  status [NAME]   progress: audience, queued, sent, delivered, read, replied, failed by
                  code, opted out, unknown attempts, estimated cost, per number

  plan FILE       forecast a campaign day by day before sending (wasla campaign plan -h)
  simulate FILE   play it against a modelled audience and Meta (wasla campaign simulate -h)

NAME may also be the campaign file. status draws a progress bar on a terminal; --json
prints the report as JSON.`

func runCampaign(ctx context.Context, args []string, s Streams) int {
	if len(args) > 0 {
		switch args[0] {
		case "plan":
			return runCampaignPlan(ctx, args[1:], s)
		case "simulate", "sim":
			return runCampaignSimulate(ctx, args[1:], s)
		}
	}
	fs := newFlagSet("campaign", "start|pause|resume|cancel|status FILE-or-NAME --redis URL", campaignAbout, s)
	redisURL := fs.String("redis", deploymentRedis(), "the deployment's Redis `URL` (default $WASLA_REDIS_URL or $WASLA_REDIS)")
	asJSON := fs.Bool("json", false, "print JSON")
	reason := fs.String("reason", "", "why, for pause, resume and cancel (shown in the status)")
	rest, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(rest) == 0 || !slices.Contains([]string{"start", "pause", "resume", "cancel", "status"}, rest[0]) {
		fs.Usage()
		return exitUsage
	}
	op := rest[0]
	if (op != "status" && len(rest) != 2) || len(rest) > 2 {
		fmt.Fprintf(s.Err, "wasla campaign %s: want one campaign file or name\n", op)
		return exitUsage
	}
	if *redisURL == "" {
		fmt.Fprintf(s.Err, "wasla campaign: --redis is required: campaigns live in the deployment's Redis\n")
		return exitUsage
	}
	client, err := store.Open(ctx, *redisURL)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla campaign: %v\n", err)
		return exitFail
	}
	defer client.Close()
	ctl := runner.NewControl(client, store.DefaultPrefix)
	target := ""
	if len(rest) == 2 {
		target = rest[1]
	}
	name := target
	if campaignfile.IsCampaignFile(target) && op != "start" {
		camp, diags := campaignfile.Load(target)
		if diags != nil {
			fmt.Fprintln(s.Err, strings.TrimSpace(diags.Error()))
			return exitFail
		}
		name = camp.Name
	}
	switch op {
	case "start":
		st, err := store.New(client, store.Options{})
		if err != nil {
			fmt.Fprintf(s.Err, "wasla campaign start: %v\n", err)
			return exitFail
		}
		rep, diags, err := runner.StartWith(ctx, ctl, target, runner.StartOptions{Contacts: compose.CampaignContacts{Store: st}}, time.Now())
		if diags != nil {
			_ = diags.Print(s.Err)
			return exitFail
		}
		if err != nil {
			fmt.Fprintf(s.Err, "wasla campaign start: %v\n", err)
			return exitFail
		}
		if *asJSON {
			return printJSON(s, rep)
		}
		fmt.Fprintf(s.Out, "started: %d contacts in the audience, %d rows left out\n", rep.Added, rep.Rows-rep.Added)
		if rep.Rows > rep.Added {
			fmt.Fprintf(s.Out, "  left out: %d invalid, %d duplicates, %d outside Meta's marketing countries (US +1), %d opted out\n",
				rep.SkippedBy(audience.Invalid), rep.SkippedBy(audience.Duplicate), rep.SkippedBy(audience.NoMarketing), rep.SkippedBy(audience.OptedOut))
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(s.Out, "  %s\n", p)
		}
		if c := rep.Contacts; c != nil {
			fmt.Fprintf(s.Out, "  stored contacts: %d scanned, %d chosen by the expression, %d could not be evaluated\n", c.Scanned, c.Matched, c.Failed)
			for _, e := range c.Errors {
				fmt.Fprintf(s.Out, "    %s\n", e)
			}
		}
		return exitOK
	case "status":
		var reports []runner.Report
		if name == "" {
			reports, err = runner.Reports(ctx, ctl)
		} else {
			var rep runner.Report
			rep, err = ctl.Status(ctx, name)
			reports = []runner.Report{rep}
		}
		if err != nil {
			fmt.Fprintf(s.Err, "wasla campaign status: %v\n", err)
			return exitFail
		}
		if *asJSON {
			if name != "" {
				return printJSON(s, reports[0])
			}
			return printJSON(s, append([]runner.Report{}, reports...))
		}
		if len(reports) == 0 {
			fmt.Fprintln(s.Err, "wasla campaign status: no campaigns (wasla campaign start FILE starts one)")
		}
		for _, rep := range reports {
			printReport(s, rep, writesTerminal(s.Out))
		}
		return exitOK
	}
	rec, err := ctl.Set(ctx, name, op, cmpOr(*reason, op+"d from the command line"))
	if err != nil {
		fmt.Fprintf(s.Err, "wasla campaign %s: %v\n", op, err)
		return exitFail
	}
	fmt.Fprintf(s.Out, "campaign %s is %s\n", rec.Name, rec.State)
	return exitOK
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func printJSON(s Streams, v any) int {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(s.Err, "wasla campaign: %v\n", err)
		return exitFail
	}
	return exitOK
}

// printReport writes a campaign's progress; bar draws a progress bar (a terminal).
func printReport(s Streams, rep runner.Report, bar bool) {
	w := s.Out
	state := rep.State
	if rep.Reason != "" {
		state += " (" + rep.Reason + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", rep.Name, state)
	done := rep.Audience - rep.Queued
	if bar && rep.Audience > 0 {
		const width = 40
		filled := width * done / rep.Audience
		fmt.Fprintf(w, "  [%s%s] %d%%\n", strings.Repeat("█", filled), strings.Repeat("░", width-filled), 100*done/rep.Audience)
	}
	t := rep.Total
	fmt.Fprintf(w, "  audience %d  queued %d  sent %d  delivered %d  read %d  replied %d  opted out %d\n",
		rep.Audience, rep.Queued, t.Sent, t.Delivered, t.Read, t.Replied, t.OptedOut)
	if len(t.Failed) > 0 {
		var parts []string
		for _, c := range t.FailedCodes() {
			parts = append(parts, fmt.Sprintf("%d×%d", c, t.Failed[c]))
		}
		fmt.Fprintf(w, "  failed by code: %s\n", strings.Join(parts, ", "))
	}
	// Unknown counts only the attempts still waiting; the others stay worth showing.
	if t.Unknown+t.UnknownResolved+t.UnknownResent > 0 {
		fmt.Fprintf(w, "  unknown attempts %d waiting (resolved by a status %d, sent again %d)\n", t.Unknown, t.UnknownResolved, t.UnknownResent)
	}
	if rep.Currency != "" {
		fmt.Fprintf(w, "  cost %s %s (estimated from the configuration's rate table; Meta changes its rates)\n", rep.Cost, rep.Currency)
	} else {
		fmt.Fprintf(w, "  cost %s (no rate table in the serve configuration)\n", rep.Cost)
	}
	nums := make([]string, 0, len(rep.Numbers))
	for n := range rep.Numbers {
		nums = append(nums, string(n))
	}
	slices.Sort(nums)
	for _, n := range nums {
		c := rep.Numbers[chat.NumberID(n)]
		fmt.Fprintf(w, "  number %s: sent %d  delivered %d  read %d  replied %d  failed %d  cost %s",
			n, c.Sent, c.Delivered, c.Read, c.Replied, c.FailedTotal(), outcome.Micro(c.Cost))
		if wu, ok := rep.Warmups[chat.NumberID(n)]; ok {
			fmt.Fprintf(w, "  warm-up step %d", wu.Step+1)
			if wu.Day != "" {
				fmt.Fprintf(w, " (judged %s)", wu.Day)
			}
		}
		fmt.Fprintln(w)
	}
}

func writesTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
