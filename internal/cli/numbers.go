package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/server"
	"github.com/wasla/wasla/store"
)

const numbersAbout = `
Lists every number of a deployment from its configuration and its Redis (the one wasla
serve uses): role, account, portfolio, messaging limit tier, warm-up day, health score,
Meta's quality, the health policy's state and today's sends. The same rows are served at
GET /api/numbers and on the admin page /admin/numbers (docs/campaigns.md, "Number
health").

The Redis is the configuration's redis: unless --redis names another. --json prints the
rows as JSON, as the API does.`

func runNumbers(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("numbers", "[--config FILE] [--redis URL] [--json]", numbersAbout, s)
	configPath := fs.String("config", "wasla.yaml", "the serve configuration `file`")
	redisURL := fs.String("redis", deploymentRedis(), "the deployment's Redis `URL` (default $WASLA_REDIS_URL or $WASLA_REDIS, else the configuration's)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(s.Err, "wasla numbers: unexpected argument %q\n", rest[0])
		return exitUsage
	}
	cfg, ok := loadConfig("numbers", *configPath, s.Err)
	if !ok {
		return exitFail
	}
	url := *redisURL
	if url == "" {
		url = cfg.Redis.Reveal()
	}
	if url == "" {
		fmt.Fprintf(s.Err, "wasla numbers: %s has no redis: and no --redis was given; the numbers' health lives in the deployment's Redis\n", *configPath)
		return exitUsage
	}
	client, err := store.Open(ctx, url)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla numbers: %v\n", err)
		return exitFail
	}
	defer client.Close()
	l, err := server.NewNumberLister(cfg, client, clock.Real{})
	if err != nil {
		fmt.Fprintf(s.Err, "wasla numbers: %v\n", err)
		return exitFail
	}
	rows, err := l.List(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla numbers: %v\n", err)
		return exitFail
	}
	if *asJSON {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"numbers": rows}); err != nil {
			return exitFail
		}
		return exitOK
	}
	printNumbers(s, rows)
	return exitOK
}

// printNumbers writes the rows as a table, then the reasons of the numbers not active.
func printNumbers(s Streams, rows []server.NumberRow) {
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NUMBER\tDISPLAY\tROLE\tACCOUNT\tPORTFOLIO\tTIER\tWARM-UP\tSCORE\tQUALITY\tSTATE\tTODAY")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, r := range rows {
		warm := "-"
		if r.WarmupDay > 0 {
			warm = fmt.Sprintf("day %d", r.WarmupDay)
		}
		state := r.State
		if r.State == "slowed" {
			state = fmt.Sprintf("slowed %.0f%%", 100*r.Allowance)
		}
		if r.Status != "active" {
			state += " (" + r.Status + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%d sent, %d failed, %d opted out\n", r.ID, r.Display, r.Role, r.Account,
			dash(r.Portfolio), dash(r.Tier), warm, r.Score, r.Quality, state, r.Today.Sent, r.Today.Failed, r.Today.OptedOut)
	}
	tw.Flush()
	var notes []string
	for _, r := range rows {
		if r.Reason != "" && (r.State != "active" || r.Status != "active" || !r.CanSend) {
			notes = append(notes, fmt.Sprintf("  %s: %s", r.ID, r.Reason))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(s.Out, "\nWhy:\n%s\n", strings.Join(notes, "\n"))
	}
}
