package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
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
rows as JSON, as the API does.

  wasla numbers reset NUMBER   forget a number's health standing: the way back for a
                               retired number once Meta lets it send again; the next
                               judgement starts it active.`

func runNumbers(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("numbers", "[--config FILE] [--redis URL] [--json] [reset NUMBER]", numbersAbout, s)
	configPath := fs.String("config", "wasla.yaml", "the serve configuration `file`")
	redisURL := fs.String("redis", deploymentRedis(), "the deployment's Redis `URL` (default $WASLA_REDIS_URL or $WASLA_REDIS, else the configuration's)")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	reset := ""
	switch {
	case len(rest) == 2 && rest[0] == "reset":
		reset = rest[1]
	case len(rest) > 0:
		fmt.Fprintf(s.Err, "wasla numbers: unexpected argument %q; the only command is reset NUMBER\n", rest[0])
		return exitUsage
	}
	cfg, ok := loadReadingConfig("numbers", *configPath, s.Err)
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
	if reset != "" {
		return resetNumber(ctx, s, cfg, client, reset)
	}
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

// resetNumber clears one configured number's standing.
func resetNumber(ctx context.Context, s Streams, cfg *config.Config, client redis.UniversalClient, id string) int {
	if !slices.ContainsFunc(cfg.Numbers, func(n config.Number) bool { return n.ID == id }) {
		fmt.Fprintf(s.Err, "wasla numbers reset: number %s is not in %s\n", id, cfg.File)
		return exitFail
	}
	had, err := health.NewRedisStore(client, store.DefaultPrefix).ClearStanding(ctx, chat.NumberID(id))
	if err != nil {
		fmt.Fprintf(s.Err, "wasla numbers reset: %v\n", err)
		return exitFail
	}
	if !had {
		fmt.Fprintf(s.Out, "number %s had no health standing; nothing to reset\n", id)
		return exitOK
	}
	fmt.Fprintf(s.Out, "number %s: health standing cleared; the next judgement starts it active\n", id)
	return exitOK
}
