package cli

import (
	"context"
	"fmt"
)

// campaignUsage lists the campaign subcommands of this branch. When the branch that wires
// campaigns into serve (start, pause, resume, cancel, status) is merged, its dispatcher
// takes plan and simulate (runCampaignPlan, runCampaignSimulate) and this file goes.
const campaignUsage = `Usage:
  wasla campaign plan [--json] FILE         forecast a campaign day by day, before sending
  wasla campaign simulate [flags] FILE      play it against a modelled audience and Meta
`

// runCampaign dispatches `wasla campaign SUBCOMMAND`.
func runCampaign(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 {
		fmt.Fprint(s.Err, campaignUsage)
		return exitUsage
	}
	switch args[0] {
	case "plan":
		return runCampaignPlan(ctx, args[1:], s)
	case "simulate", "sim":
		return runCampaignSimulate(ctx, args[1:], s)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(s.Out, campaignUsage)
		return exitOK
	}
	fmt.Fprintf(s.Err, "wasla campaign: unknown subcommand %q\n\n%s", args[0], campaignUsage)
	return exitUsage
}
