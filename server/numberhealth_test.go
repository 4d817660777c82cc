package server

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/store"
)

const (
	healthAdminToken   = "adm-token-never-logged"
	healthHookSecret   = "hook-secret-never-logged"
	healthGraphToken3  = "graph-token-of-number-3"
	healthNumbersInbox = "1"
)

// healthGraph is a fake Graph API: it accepts every message and answers each number's
// health from health (by phone number id).
type healthGraph struct {
	mu     sync.Mutex
	health map[string]string
	gets   []string
}

func (g *healthGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method == http.MethodGet {
		id := strings.TrimPrefix(r.URL.Path, "/v25.0/")
		g.mu.Lock()
		g.gets = append(g.gets, id+" "+r.Header.Get("Authorization"))
		body := g.health[id]
		g.mu.Unlock()
		if body == "" {
			body = `{"health_status":{"can_send_message":"AVAILABLE"},"quality_rating":"GREEN","throughput":{"level":"STANDARD"},"whatsapp_business_manager_messaging_limit":"TIER_10K"}`
		}
		_, _ = io.WriteString(w, body)
		return
	}
	_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.out"}]}`)
}

// webhookBody is one Meta POST for number with the given statuses and messages (JSON).
func webhookBody(number string, statuses, messages []string) string {
	v := map[string]any{"messaging_product": "whatsapp", "metadata": map[string]string{"display_phone_number": "966500000000", "phone_number_id": number}}
	if len(statuses) > 0 {
		v["statuses"] = json.RawMessage("[" + strings.Join(statuses, ",") + "]")
	}
	if len(messages) > 0 {
		v["messages"] = json.RawMessage("[" + strings.Join(messages, ",") + "]")
		v["contacts"] = json.RawMessage(`[{"profile":{"name":"Sara"},"wa_id":"966511111111"}]`)
	}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account",
		"entry": []any{map[string]any{"id": "10", "changes": []any{map[string]any{"field": "messages", "value": v}}}}})
	return string(b)
}

// TestNumberHealthInServe runs a built server on real Redis: status webhooks (131048
// counts, 131049 does not), a negative reply, an opt-out word and Meta's marketing stop
// (not its resume) reach the health buckets; a round polls the fake Graph API and
// judges; the standings reach the campaign runner's numbers, the metrics, the signed
// operator webhook and GET /api/numbers, which refuses a request without the admin
// token; no secret is logged.
func TestNumberHealthInServe(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	graph := &healthGraph{health: map[string]string{
		"3": `{"health_status":{"can_send_message":"BLOCKED","entities":[{"entity_type":"WABA","id":"30","can_send_message":"BLOCKED","errors":[{"error_code":141006,"error_description":"payment method"}]}]},"quality_rating":"YELLOW","throughput":{"level":"STANDARD"},"whatsapp_business_manager_messaging_limit":"TIER_2K"}`,
	}}
	gs := httptest.NewServer(graph)
	t.Cleanup(gs.Close) // outlives the built server
	var hookMu sync.Mutex
	var events []health.Event
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		want := (health.Webhook{Secret: []byte(healthHookSecret)}).Sign(body)
		if !hmac.Equal([]byte(r.Header.Get("X-Wasla-Signature-256")), []byte(want)) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		var e health.Event
		_ = json.Unmarshal(body, &e)
		hookMu.Lock()
		events = append(events, e)
		hookMu.Unlock()
	}))
	t.Cleanup(hook.Close) // outlives the built server

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "hello.yaml"), []byte(goodFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `flows: flows
redis: ` + rs.URL() + `
whatsapp: {app_secret: a, verify_token: b, graph_url: ` + gs.URL + `}
numbers:
  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "20", token: t2, portfolio: "p1"}
  - {id: "3", display: "+966 50 000 0003", role: campaign, waba: "30", token: ` + healthGraphToken3 + `, portfolio: "p1"}
limits: {refresh_interval: 0, reload_interval: 0}
admin: {token: ` + healthAdminToken + `}
metrics: {token: m}
health:
  interval: 0
  webhook: {url: ` + hook.URL + `, secret: ` + healthHookSecret + `}
`
	logs := &syncbuf.Buffer{}
	srv, addr := buildServed(t, dir, src, BuildOptions{Logger: testLogger(logs)})
	base := "http://" + addr
	ctx := t.Context()
	post := func(body string) {
		t.Helper()
		postWebhook(t, addr, body)
	}
	now := time.Now().Unix()
	var sts []string
	for i := range 8 {
		sts = append(sts, fmt.Sprintf(`{"id":"wamid.f%d","status":"failed","timestamp":"%d","recipient_id":"96650000%04d","errors":[{"code":131048,"title":"Spam rate limit hit"}]}`, i, now, i))
	}
	for i := range 20 {
		sts = append(sts, fmt.Sprintf(`{"id":"wamid.c%d","status":"failed","timestamp":"%d","recipient_id":"96651000%04d","errors":[{"code":131049,"title":"ecosystem cap"}]}`, i, now, i))
	}
	sts = append(sts, fmt.Sprintf(`{"id":"wamid.r1","status":"read","timestamp":"%d","recipient_id":"966500000001"}`, now))
	post(webhookBody("2", sts, nil))
	post(webhookBody("3", nil, []string{fmt.Sprintf(`{"from":"966511111111","id":"wamid.in1","timestamp":"%d","type":"text","text":{"body":"مين انت؟ مزعج"}}`, now)}))
	post(webhookBody("2", nil, []string{fmt.Sprintf(`{"from":"966511111111","id":"wamid.in2","timestamp":"%d","type":"text","text":{"body":"STOP"}}`, now)}))
	pref := strings.NewReplacer(`"106540352242922"`, `"3"`, "1739321000", strconv.FormatInt(now, 10), "1739321020", strconv.FormatInt(now, 10)).
		Replace(string(sample(t, "user_preferences.json")))
	post(pref)

	nh := srv.d.Health
	window := health.Window(time.Now(), time.UTC)
	eventually(t, "the signals in the buckets", func() bool {
		d2, err2 := nh.Store.Days(ctx, "2", window[:1])
		d3, err3 := nh.Store.Days(ctx, "3", window[:1])
		return err2 == nil && err3 == nil && d2[0][health.SpamLimit] == 8 && d2[0][health.Read] == 1 && d2[0][health.OptOut] == 1 &&
			d3[0][health.Negative] == 1 && d3[0][health.Replied] == 1 && d3[0][health.OptOut] == 1
	})
	d2, _ := nh.Store.Days(ctx, "2", window[:1])
	if d2[0][health.Restricted] != 0 || d2[0][health.Undeliverable] != 0 {
		t.Errorf("131049 was counted against the number: %v", d2[0])
	}

	if err := nh.Round(ctx); err != nil {
		t.Fatal(err)
	}
	st := map[chat.NumberID]health.State{}
	for _, id := range []chat.NumberID{"1", "2", "3"} {
		st[id] = nh.Standing(id).State
	}
	if st["1"] != health.Active || st["2"] != health.Stopped || st["3"] != health.Retired {
		t.Fatalf("standings %v; want 1 active, 2 stopped (8 spam-limit failures), 3 retired (Meta: BLOCKED)", st)
	}
	graph.mu.Lock()
	gets := strings.Join(graph.gets, "\n")
	graph.mu.Unlock()
	if !strings.Contains(gets, "3 Bearer "+healthGraphToken3) {
		t.Errorf("Graph GETs %q; want number 3 read with its own token", gets)
	}

	// The campaign runner follows the standings.
	rn := nh.Numbers(numbersOfConfig{"2": true, "3": true})
	if info, _ := rn.Number("2"); info.Usable {
		t.Error("the runner may still send from stopped number 2")
	}

	// Metrics and the operator's webhook.
	if got := metricValue(t, srv, "wasla_number_health_changes_total", "number", "2", "state", "stopped"); got != 1 {
		t.Errorf("changes{2,stopped} = %v", got)
	}
	if got := metricValue(t, srv, "wasla_number_health_score", "number", "3"); got != 0 {
		t.Errorf("score{3} = %v; want 0 (cannot send)", got)
	}
	if got := metricValue(t, srv, "wasla_number_health_score", "number", "1"); got < 80 {
		t.Errorf("score{1} = %v", got)
	}
	hookMu.Lock()
	if len(events) != 2 {
		t.Errorf("operator webhook got %+v; want the two changes", events)
	}
	hookMu.Unlock()

	// The admin API.
	get := func(token string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/numbers", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	if resp, _ := get(""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d", resp.StatusCode)
	}
	if resp, _ := get("wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("with a wrong token: %d", resp.StatusCode)
	}
	resp, body := get(healthAdminToken)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/numbers = %d %s", resp.StatusCode, body)
	}
	var got struct{ Numbers []NumberRow }
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Numbers) != 3 {
		t.Fatalf("rows %s", body)
	}
	r2, r3 := got.Numbers[1], got.Numbers[2]
	if r2.State != "stopped" || r2.Role != "campaign" || r2.Account != "20" || r2.Portfolio != "p1" || r2.Today.Failed != 8 || r2.Quality != "GREEN" ||
		r3.State != "retired" || r3.CanSend || r3.Tier != "TIER_2K" || r3.Quality != "YELLOW" || r3.Score != 0 || !strings.Contains(r3.Reason, "141006") {
		t.Errorf("rows:\n%+v\n%+v", r2, r3)
	}
	if resp, _ := http.Get(base + "/admin/numbers"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /admin/numbers = %d", resp.StatusCode)
	}
	out := logs.String()
	for _, secret := range []string{healthAdminToken, healthHookSecret, healthGraphToken3} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret reached the log: %s", secret)
		}
	}
	if !strings.Contains(out, "admin request refused") || !strings.Contains(out, `msg="number health changed"`) {
		t.Errorf("log lacks the refusal or the change:\n%s", out)
	}
}

// numbersOfConfig answers the runner: every number usable.
type numbersOfConfig map[chat.NumberID]bool

func (n numbersOfConfig) Number(id chat.NumberID) (runner.NumberInfo, bool) {
	return runner.NumberInfo{Portfolio: "p1", Usable: n[id]}, n[id]
}

// metricValue reads one series of the server's registry (name, then label pairs).
func metricValue(t *testing.T, srv *Server, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := srv.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue series
				}
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

// fakeCampaignSender accepts every campaign send.
type fakeCampaignSender struct {
	mu sync.Mutex
	n  int
}

func (f *fakeCampaignSender) Attempt(_ context.Context, msg chat.Outbound) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprintf("wamid.%s.%d", msg.To, f.n), nil
}

func (f *fakeCampaignSender) RecordFailure(context.Context, chat.Outbound, error) error { return nil }

// TestNumbersJoinCampaignFigures runs a campaign pass through the health-wrapped sender:
// each send counts in the number's health bucket, and the numbers' rows carry the
// campaign's figures per number.
func TestNumbersJoinCampaignFigures(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	client := rs.Client(t)
	cfg := buildConfig(t, `  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "1002", display: "+966 50 000 0002", role: campaign, waba: "20", portfolio: pf, token: t}
  - {id: "1003", display: "+966 50 000 0003", role: campaign, waba: "20", portfolio: pf, token: t}
`)
	clk := clock.NewManual(time.Now().UTC())
	reg, err := compose.Numbers(cfg, numbers.NewRedisStates(client, store.DefaultPrefix), clk)
	if err != nil {
		t.Fatal(err)
	}
	nh, err := buildHealth(cfg, client, store.DefaultPrefix, reg, nil, nil, NewMetrics(), nil, clk, "t")
	if err != nil {
		t.Fatal(err)
	}
	const src = `name: offer
template: {name: offer, language: ar}
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_UNLIMITED, ramp: [0]}
  - {id: "1003", tier: TIER_UNLIMITED, ramp: [0]}
hours: ""
canary: {share: 0%}
`
	camp, diags := campaignfile.Parse("offer.campaign.yaml", []byte(src))
	if diags != nil {
		t.Fatal(diags)
	}
	ctl := runner.NewControl(client, store.DefaultPrefix)
	var csv strings.Builder
	csv.WriteString("phone\n")
	for i := range 30 {
		fmt.Fprintf(&csv, "05%08d\n", i)
	}
	if _, err := runner.Import(ctx, ctl, camp, []byte(src), strings.NewReader(csv.String()), nil, clk.Now()); err != nil {
		t.Fatal(err)
	}
	snd := &fakeCampaignSender{}
	run, err := runner.New(runner.Options{Control: ctl, Sender: nh.Sender(snd), Clock: clk,
		Numbers: nh.Numbers(campaignNumbers{cfg: cfg, reg: reg, clock: clk})})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := NewNumberLister(cfg, client, clk)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := l.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sent, today := int64(0), 0
	for _, r := range rows[1:] {
		today += r.Today.Sent
		for _, c := range r.Campaigns {
			if c.Name != "offer" || c.State != runner.StateRunning {
				t.Errorf("campaign figures %+v", c)
			}
			sent += c.Sent
		}
	}
	if sent != 30 || today != 30 || snd.n != 30 {
		t.Errorf("the campaign sent %d, its figures say %d, the health buckets %d; want 30 each", snd.n, sent, today)
	}
}

// TestNumberHealthLoopOneReplicaAtATime runs two replicas' loops on one Redis, each
// fired by its own ticker: only the lease holder polls Meta and judges; when it dies (its
// lease expires) the other takes over; the other one still follows the standings.
func TestNumberHealthLoopOneReplicaAtATime(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	client := rs.Client(t)
	graph := &healthGraph{health: map[string]string{"1002": `{"health_status":{"can_send_message":"AVAILABLE"},"quality_rating":"RED"}`}}
	gs := httptest.NewServer(graph)
	defer gs.Close()
	cfg := buildConfig(t, `  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "1002", display: "+966 50 000 0002", role: campaign, waba: "20", portfolio: pf, token: t}
`)
	cfg.Health.Interval = 7 * time.Minute
	clk := clock.NewManual(time.Now().UTC())
	replica := func(owner string) (*NumberHealth, *manualTicks) {
		reg, err := compose.Numbers(cfg, numbers.NewRedisStates(client, store.DefaultPrefix), clk)
		if err != nil {
			t.Fatal(err)
		}
		nh, err := buildHealth(cfg, client, store.DefaultPrefix, reg, &whatsapp.Client{BaseURL: gs.URL}, nil, NewMetrics(), nil, clk, owner)
		if err != nil {
			t.Fatal(err)
		}
		return nh, &manualTicks{}
	}
	a, at := replica("a")
	b, bt := replica("b")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { a.Run(ctx, at.Tick) })
	wg.Go(func() { b.Run(ctx, bt.Tick) })
	defer func() { cancel(); wg.Wait() }()
	gets := func() int {
		graph.mu.Lock()
		defer graph.mu.Unlock()
		return len(graph.gets)
	}
	fire := func(m *manualTicks) {
		t.Helper()
		fctx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		if err := m.fire(fctx, cfg.Health.Interval); err != nil {
			t.Fatal(err)
		}
	}
	fire(at)
	eventually(t, "replica a's poll", func() bool { return gets() == 2 })
	eventually(t, "replica a's judgement", func() bool { return a.Standing("1002").State == health.Stopped })
	fire(bt)
	eventually(t, "replica b to follow the standings", func() bool { return b.Standing("1002").State == health.Stopped })
	fire(at) // a again: its round ends before b's next one starts
	eventually(t, "replica a's second poll", func() bool { return gets() == 4 })
	fire(bt)
	fire(bt) // the second fire returns once b finished the round of the first
	if n := gets(); n != 4 {
		t.Fatalf("replica b polled Meta while a held the lease: %d reads", n)
	}
	// a dies: its lease expires.
	if err := client.Del(ctx, store.DefaultPrefix+":health:lease").Err(); err != nil {
		t.Fatal(err)
	}
	fire(bt)
	eventually(t, "replica b to take over", func() bool { return gets() == 6 })
}
