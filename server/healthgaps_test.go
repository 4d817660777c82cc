package server

import (
	"context"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/store"
)

// A stopped number that the loop resumes after its clean days is put back on the
// policy's resume step in the runner's shared warm-ups (Redis), and the day before is
// marked judged so the runner does not lift the fresh step by a day of the old one.
func TestResumedNumberRestartsItsWarmupInRedis(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	client := rs.Client(t)
	cfg := buildConfig(t, `  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "1002", display: "+966 50 000 0002", role: campaign, waba: "20", portfolio: pf, token: t}
`)
	clk := clock.NewManual(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC))
	reg, err := compose.Numbers(cfg, numbers.NewRedisStates(client, store.DefaultPrefix), clk)
	if err != nil {
		t.Fatal(err)
	}
	nh, err := buildHealth(cfg, client, store.DefaultPrefix, reg, nil, nil, NewMetrics(), nil, clk, "a")
	if err != nil {
		t.Fatal(err)
	}
	warm := pacing.NewRedisState(client, store.DefaultPrefix)
	if err := warm.Save(ctx, "1002", pacing.Warmup{Step: 4, Day: "2026-03-06"}); err != nil {
		t.Fatal(err)
	}
	if err := nh.Store.SetStanding(ctx, "1002", health.Standing{State: health.Stopped, Clean: cfg.Health.CleanDays - 1, LastDay: "2026-03-07"}); err != nil {
		t.Fatal(err)
	}
	if err := nh.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if s := nh.Standing("1002"); s.State != health.Active {
		t.Fatalf("standing %+v; want active after %d clean days", s, cfg.Health.CleanDays)
	}
	ws, err := warm.Load(ctx, []chat.NumberID{"1002"})
	if err != nil {
		t.Fatal(err)
	}
	if w := ws["1002"]; w.Step != 0 || w.Day != "2026-03-07" {
		t.Fatalf("warm-up %+v; want step 0 (the policy's resume step) with 2026-03-07 judged", w)
	}
}
