package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/store"
)

// A stopped number that the loop resumes after its clean days is put back on the
// policy's resume step in the runner's shared warm-ups (Redis), and the day before is
// marked judged so the runner does not lift the fresh step by a day of the old one.
func TestResumedNumberRestartsItsWarmupInRedis(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC))
	g := newHealthRig(t, 1, clk, nil)
	client, cfg, nh := g.client, g.cfg, g.nh
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

// The live stop-loss is health.StopLoss over the campaign's counters with the campaign
// file's thresholds; a stop is logged, counted and posted to the operator's webhook.
func TestCampaignStopLossJudgesAndReports(t *testing.T) {
	var mu sync.Mutex
	var got []health.Event
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Wasla-Signature-256") != (health.Webhook{Secret: []byte("s")}).Sign(body) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var e health.Event
		_ = json.Unmarshal(body, &e)
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer hook.Close()
	logs := &syncbuf.Buffer{}
	metrics := NewMetrics()
	nh, err := NewNumberHealth(NumberHealthOptions{Registerer: metrics.reg, Store: health.NewRedisStore(nil, "t"), Policy: health.DefaultPolicy(),
		Webhook: health.Webhook{URL: hook.URL, Secret: []byte("s")}, Logger: testLogger(logs), Clock: clock.NewManual(time.Unix(1e9, 0))})
	if err != nil {
		t.Fatal(err)
	}
	sl := nh.StopLoss()
	cfg := pacing.Defaults()
	cfg.Canary.MaxFailureRate, cfg.Canary.MaxOptOutRate = 0.05, 0.02 // the file's stop_loss
	tests := []struct {
		name  string
		total outcome.Counters
		want  string
	}{
		{"too few sends to judge", outcome.Counters{Sent: 300, Failed: map[int]int64{131048: 100}}, ""},
		{"131049 is the recipient's cap", outcome.Counters{Sent: 900, Failed: map[int]int64{131049: 100}}, ""},
		{"quality failures over 5 %", outcome.Counters{Sent: 900, Failed: map[int]int64{131048: 40, 131026: 20}}, "60 of 960 sends failed"},
		{"marketing stops over 2 %", outcome.Counters{Sent: 900, Failed: map[int]int64{131050: 30}}, "30 of 930 recipients opted out"},
		{"under both", outcome.Counters{Sent: 1000, OptedOut: 10, Failed: map[int]int64{131026: 40}}, ""},
	}
	for _, tt := range tests {
		if r := sl.Check(cfg, tt.total); (tt.want == "") != (r == "") || !strings.Contains(r, tt.want) {
			t.Errorf("%s: %q; want %q", tt.name, r, tt.want)
		}
	}
	sl.Stopped(context.Background(), "offer", "stop-loss: 60 of 960 sends failed")
	if n := metricValue(t, &Server{metrics: metrics}, "wasla_campaign_stop_loss_total", "campaign", "offer"); n != 1 {
		t.Errorf("wasla_campaign_stop_loss_total{offer} = %v", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Campaign != "offer" || got[0].To != health.Stopped || !strings.Contains(got[0].Reason, "960") {
		t.Errorf("operator webhook got %+v", got)
	}
	if !strings.Contains(logs.String(), "campaign=offer") {
		t.Errorf("no log line:\n%s", logs.String())
	}
}

// A quality webhook that flags a number (Meta: RED) stops it at once on the replica that
// got it: the loop is off here (interval 0), so only the webhook's re-judge can do it; a
// second, identical webhook changes nothing and judges nothing.
func TestQualityWebhookRejudgesAtOnce(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "hello.yaml"), []byte(goodFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `flows: flows
redis: ` + rs.URL() + `
whatsapp: {app_secret: a, verify_token: b}
numbers:
  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "2", display: "+1 650 555 1111", role: campaign, waba: "20", token: t2, portfolio: "p1"}
limits: {refresh_interval: 0, reload_interval: 0}
metrics: {token: m}
health: {interval: 0}
`
	logs := &syncbuf.Buffer{}
	srv, addr := buildServed(t, dir, src, BuildOptions{Logger: testLogger(logs)})
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"20","time":%d,"changes":[{"field":"phone_number_quality_update","value":{"display_phone_number":"16505551111","event":"FLAGGED","current_limit":"TIER_10K"}}]}]}`, time.Now().Unix())
	post := func() {
		t.Helper()
		postWebhook(t, addr, body)
	}
	nh := srv.d.Health
	if s := nh.Standing("2"); s.State != health.Active {
		t.Fatalf("before the webhook: %+v", s)
	}
	post()
	// No wait: the POST's answer comes after the re-judge.
	if s := nh.Standing("2"); s.State != health.Stopped || !strings.Contains(s.Reason, "RED or flagged") {
		t.Fatalf("after the FLAGGED webhook: %+v; want stopped at once", s)
	}
	if got := metricValue(t, srv, "wasla_number_health_changes_total", "number", "2", "state", "stopped"); got != 1 {
		t.Errorf("changes{2,stopped} = %v", got)
	}
	if s := nh.Standing("1"); s.State != health.Active {
		t.Errorf("number 1, not named by the webhook: %+v", s)
	}
	post()
	if got := metricValue(t, srv, "wasla_number_health_changes_total", "number", "2", "state", "stopped"); got != 1 {
		t.Errorf("after a repeated webhook changes{2,stopped} = %v; want still 1", got)
	}
}

// `wasla numbers` (NumberLister) shows the warm-up day of the numbers the live runner
// sends from: day 1 on the first day (before any day was judged), day 2 once the runner
// judged the first day clean; a number the campaign does not use shows none.
func TestNumbersShowTheLiveRunnersWarmupDay(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 0, 30, 0, 0, time.UTC))
	g := newHealthRig(t, 3, clk, nil)
	snd := &fakeCampaignSender{}
	_, run := g.startCampaign(t, `name: offer
template: {name: offer, language: ar}
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_UNLIMITED, ramp: [10, 20, 40]}
  - {id: "1003", tier: TIER_UNLIMITED, ramp: [10, 20, 40]}
hours: ""
zone: UTC
canary: {share: 0%}
`, 200, clk, runner.Options{Sender: g.nh.Sender(snd)})
	l, err := NewNumberLister(g.cfg, g.client, clk)
	if err != nil {
		t.Fatal(err)
	}
	passUntil := func(end time.Time) {
		t.Helper()
		for clk.Now().Before(end) {
			if err := run.Pass(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(10 * time.Minute)
		}
	}
	warmup := func() map[string]int {
		t.Helper()
		rows, err := l.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, r := range rows {
			out[r.ID] = r.WarmupDay
		}
		return out
	}
	passUntil(time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	if snd.n != 20 {
		t.Fatalf("day 1 sent %d; want the two numbers' caps of 10", snd.n)
	}
	if got := warmup(); got["1002"] != 1 || got["1003"] != 1 || got["1001"] != 0 || got["1004"] != 0 {
		t.Fatalf("warm-up days on day 1: %v; want 1002 and 1003 on day 1, the others none", got)
	}
	passUntil(time.Date(2026, 3, 2, 23, 0, 0, 0, time.UTC))
	if snd.n != 60 {
		t.Fatalf("days 1 and 2 sent %d; want 20 + 40", snd.n)
	}
	if got := warmup(); got["1002"] != 2 || got["1003"] != 2 || got["1004"] != 0 {
		t.Fatalf("warm-up days on day 2: %v; want 1002 and 1003 on day 2", got)
	}
}

// STOP replies from the recipients of a live campaign count against it, and once they
// pass the file's stop_loss share, the runner's next pass stops it, saying why, and the
// stop is reported (metric).
func TestStopRepliesStopALiveCampaign(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	g := newHealthRig(t, 1, clk, func() []string { return []string{"stop"} })
	nh, metrics := g.nh, g.metrics
	ctl, run := g.startCampaign(t, `name: offer
template: {name: offer, language: ar}
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_UNLIMITED, ramp: [0]}
hours: ""
canary: {share: 0%}
stop_loss: {max_opt_out_rate: 2%}
`, 1000, clk, runner.Options{Sender: g.nh.Sender(&fakeCampaignSender{}), StopLoss: g.nh.StopLoss(), Page: 100})
	nh.OptOuts = run.OptOut
	for range 6 { // 600 sent
		if err := run.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	stop := func(from, to int) {
		var in []chat.Inbound
		for i := from; i < to; i++ {
			in = append(in, chat.Inbound{Number: "1002", Contact: chat.ContactID(fmt.Sprintf("9665%08d", i)), Kind: chat.KindText, Text: "STOP", At: clk.Now()})
		}
		nh.Inbound(ctx, in)
	}
	stop(0, 12) // 2 % of 600: not over
	if err := run.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if rec, _ := ctl.Get(ctx, "offer"); rec.State != runner.StateRunning {
		t.Fatalf("stopped at 2 %%: %s %q", rec.State, rec.Reason)
	}
	stop(12, 30)
	if err := run.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := ctl.Get(ctx, "offer")
	if err != nil || rec.State != runner.StateStopped || !strings.Contains(rec.Reason, "stop-loss: 30 of ") || !strings.Contains(rec.Reason, "opted out") {
		t.Fatalf("campaign %s %q, %v; want stopped by the stop-loss for 30 opt-outs", rec.State, rec.Reason, err)
	}
	if n := metricValue(t, &Server{metrics: metrics}, "wasla_campaign_stop_loss_total", "campaign", "offer"); n != 1 {
		t.Errorf("wasla_campaign_stop_loss_total{offer} = %v", n)
	}
}

// healthRig is number health as buildHealth wires it, on a real redis-server; the
// numbers after the inbox 1001 are campaign numbers 1002... in portfolio pf.
type healthRig struct {
	client  redis.UniversalClient
	cfg     *config.Config
	reg     *numbers.Registry
	nh      *NumberHealth
	metrics *Metrics
}

func newHealthRig(t *testing.T, campaignNumbers int, clk clock.Clock, optOutWords func() []string) *healthRig {
	t.Helper()
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	list := `  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
`
	for i := 2; i < 2+campaignNumbers; i++ {
		list += fmt.Sprintf("  - {id: \"100%d\", display: \"+966 50 000 000%d\", role: campaign, waba: \"20\", portfolio: pf, token: t}\n", i, i)
	}
	g := &healthRig{client: rs.Client(t), cfg: buildConfig(t, list), metrics: NewMetrics()}
	var err error
	if g.reg, err = compose.Numbers(g.cfg, numbers.NewRedisStates(g.client, store.DefaultPrefix), clk); err != nil {
		t.Fatal(err)
	}
	if g.nh, err = buildHealth(g.cfg, g.client, store.DefaultPrefix, g.reg, nil, optOutWords, g.metrics, nil, clk, "t"); err != nil {
		t.Fatal(err)
	}
	return g
}

// startCampaign imports src with n contacts (05 00000000 on) and returns a runner of it
// on the rig's numbers, its health and opts.
func (g *healthRig) startCampaign(t *testing.T, src string, n int, clk clock.Clock, opts runner.Options) (*runner.Control, *runner.Runner) {
	t.Helper()
	camp, diags := campaignfile.Parse("offer.campaign.yaml", []byte(src))
	if diags != nil {
		t.Fatal(diags)
	}
	ctl := runner.NewControl(g.client, store.DefaultPrefix)
	var csv strings.Builder
	csv.WriteString("phone\n")
	for i := range n {
		fmt.Fprintf(&csv, "05%08d\n", i)
	}
	if _, err := runner.Import(context.Background(), ctl, camp, []byte(src), strings.NewReader(csv.String()), nil, clk.Now()); err != nil {
		t.Fatal(err)
	}
	opts.Control, opts.Clock = ctl, clk
	opts.Numbers = g.nh.Numbers(campaignNumbers{cfg: g.cfg, reg: g.reg, clock: clk})
	run, err := runner.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return ctl, run
}
