package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/numbers"
)

// builtServer is `wasla serve` built from a configuration and running on a local port,
// with a fake Graph API that records every request as "<phone number id> <body>".
type builtServer struct {
	addr string
	mu   sync.Mutex
	sent []string
}

// startBuilt writes goodFlow to a flows folder, builds a server from the configuration
// src (graph_url is appended to its whatsapp line), runs it until the test ends and
// returns it.
func startBuilt(t *testing.T, src string) *builtServer {
	t.Helper()
	b := &builtServer{}
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.sent = append(b.sent, strings.TrimPrefix(r.URL.Path, "/v25.0/")+" "+string(body))
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.out1"}]}`)
	}))
	t.Cleanup(graph.Close)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "hello.yaml"), []byte(goodFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	src = strings.Replace(src, "whatsapp: {app_secret: a, verify_token: b}", "whatsapp: {app_secret: a, verify_token: b, graph_url: "+graph.URL+"}", 1)
	_, b.addr = buildServed(t, dir, src, BuildOptions{})
	return b
}

// buildServed parses src as dir/wasla.yaml, builds the server with opts and serves it on
// a local port until the test ends (serveBuilt); it returns the server and its address.
func buildServed(t *testing.T, dir, src string, opts BuildOptions) (*Server, string) {
	t.Helper()
	cfg, err := config.Parse(filepath.Join(dir, "wasla.yaml"), []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, closeFn, err := Build(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, serveBuilt(t, srv, closeFn)
}

// serveBuilt runs srv on a local port until the test ends, then stops it and calls
// closeFn (what Build returned; a no-op for a rig's server), and returns its address.
func serveBuilt(t *testing.T, srv *Server, closeFn func()) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeFn()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
		closeFn()
	})
	return ln.Addr().String()
}

// post signs body with the app secret "a" and posts it to /webhook.
func (b *builtServer) post(t *testing.T, body string) {
	t.Helper()
	postWebhook(t, b.addr, body)
}

// postWebhook signs body with the app secret "a", posts it to the /webhook of the server
// at addr and fails the test unless it answers 200.
func postWebhook(t *testing.T, addr, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhook", strings.NewReader(body))
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign("a", []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /webhook = %d", resp.StatusCode)
	}
}

// waitSent polls, for at most 10 s, until the fake Graph API got n requests, and returns
// them.
func (b *builtServer) waitSent(n int) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		got := slices.Clone(b.sent)
		b.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// textTo is the text.json sample sent to phone number id number at unix time at, from the
// user wa_id, saying text.
func textTo(t *testing.T, number, waID, text string, at time.Time) string {
	return strings.NewReplacer(`"106540352242922"`, strconv.Quote(number), "Does it come in another color?", text,
		"16505551234", waID, `"1749416383"`, strconv.Quote(strconv.FormatInt(at.Unix(), 10)),
		"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", fmt.Sprintf("wamid.%s.%d", waID, at.Unix()),
	).Replace(string(sample(t, "text.json")))
}

// accountRestriction is an account_update restricting the account waba from starting
// conversations until until.
func accountRestriction(waba string, until time.Time) string {
	return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":"account_update",
"value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":%d}]}}]}]}`,
		waba, time.Now().Unix(), until.Unix())
}

// Issue 8 item 4, end to end through `wasla serve`: after an account_update
// RESTRICTED_BIZ_INITIATED_MESSAGING for both accounts, a reply inside the customer's
// window still leaves from the restricted campaign number, while a reply outside it,
// which would need the window template, is sent from no number.
func TestServeRepliesOnlyNumber(t *testing.T) {
	b := startBuilt(t, `flows: flows
whatsapp: {app_secret: a, verify_token: b}
numbers:
  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "20", token: t2, campaign: eid, policy: hold}
routing:
  window_template: {name: follow_up, language: ar}
state: {dedupe_period: 72h}
limits: {refresh_interval: 0, reload_interval: 0}
`)
	week := time.Now().Add(7 * 24 * time.Hour)
	b.post(t, accountRestriction("10", week))
	b.post(t, accountRestriction("20", week))
	// The same customer, one message at a time (their messages are handled in order):
	// first one stamped 25 hours ago, whose window is already closed, then one just sent.
	b.post(t, textTo(t, "2", "966500000020", "hello", time.Now().Add(-25*time.Hour)))
	b.post(t, textTo(t, "2", "966500000020", "hello", time.Now()))
	got := b.waitSent(1) // a customer's messages are handled in order: the first is done
	if len(got) != 1 {
		t.Fatalf("Graph API requests = %q, want only the in-window reply", got)
	}
	if !strings.HasPrefix(got[0], "2/messages ") || !strings.Contains(got[0], `"type":"text"`) || !strings.Contains(got[0], `"body":"hi"`) {
		t.Errorf("sent %s\nwant the text reply from the replies-only campaign number 2", got[0])
	}
}

// What the metrics and the numbers listing show: replies_only while the restriction
// lasts, active again once its expiration passed, by the clock alone.
func TestRegistryStatesShowRepliesOnly(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	r, err := numbers.New([]numbers.Number{
		{ID: "1", Display: "+966 50 000 0001", Role: numbers.RoleInbox, WABA: "10", Token: "t"},
		{ID: "2", Display: "+966 50 000 0002", Role: numbers.RoleCampaign, WABA: "20", Token: "t"},
	}, &numbers.MemStates{}, numbers.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	g := registry{r: r, clock: clk}
	b, err := whatsapp.ParseWebhook([]byte(accountRestriction("20", t0.Add(48*time.Hour))))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Apply(context.Background(), b.Events[0]); err != nil {
		t.Fatal(err)
	}
	show := func() string {
		states, err := g.States(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range states {
			out = append(out, string(s.Number)+"="+s.State)
		}
		return strings.Join(out, " ")
	}
	if got := show(); got != "1=active 2=replies_only" {
		t.Errorf("states = %s", got)
	}
	clk.Advance(48 * time.Hour)
	if got := show(); got != "1=active 2=active" {
		t.Errorf("states after the expiration = %s", got)
	}
}

// Meta's restriction payloads (golden sample account_update_restrictions.json) through the
// server's registry adapter, on a clock moved across the expirations they give.
func TestRestrictionPayloadsOverTime(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "channels", "whatsapp", "testdata", "webhooks", "account_update_restrictions.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := whatsapp.ParseWebhook(data)
	if err != nil {
		t.Fatal(err)
	}
	sent := time.Unix(1739321024, 0).UTC() // the entry's time
	clk := clock.NewManual(sent.Add(time.Minute))
	r, err := numbers.New([]numbers.Number{
		{ID: "1", Display: "+966 50 000 0001", Role: numbers.RoleInbox, WABA: "10", Token: "t"},
		{ID: "2", Display: "+966 50 000 0002", Role: numbers.RoleCampaign, WABA: "102290129340398", Token: "t"},
	}, &numbers.MemStates{}, numbers.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	g := registry{r: r, clock: clk}
	state := func() string { return string(r.State("2").Current(clk.Now())) }
	if err := g.Apply(context.Background(), b.Events[0]); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != "replies_only" || r.CanInitiate("2", clk.Now()) || !r.Usable("2", clk.Now()) {
		t.Fatalf("after RESTRICTED_BIZ_INITIATED_MESSAGING: %s", got)
	}
	if err := g.Apply(context.Background(), b.Events[1]); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		at   int64
		want string
	}{
		{1739321084, "restricted"},   // both restrictions: nothing goes out
		{1739407424, "replies_only"}, // the customer-initiated one expired
		{1739925823, "replies_only"},
		{1739925824, "active"}, // the business-initiated one expired too
	} {
		clk.Set(time.Unix(step.at, 0))
		if got := state(); got != step.want {
			t.Errorf("at %v: %s, want %s", clk.Now().UTC(), got, step.want)
		}
	}
}

// The campaign runner gives a replies-only number no share of a campaign (campaigns start
// conversations), and takes it back once the restriction expired.
func TestCampaignNumbersSkipRepliesOnly(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "20", token: t}
`)
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	reg, err := numbers.New([]numbers.Number{
		{ID: "1", Display: "+966 50 000 0001", Role: numbers.RoleInbox, WABA: "10", Token: "t"},
		{ID: "2", Display: "+966 50 000 0002", Role: numbers.RoleCampaign, WABA: "20", Token: "t"},
	}, &numbers.MemStates{}, numbers.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Apply(context.Background(), &numbers.AccountEvent{WABA: "20", At: t0, Event: "ACCOUNT_RESTRICTION",
		Restrictions: []numbers.Restriction{{Type: numbers.RestrictedInitiation, Expiration: t0.Add(time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	cn := campaignNumbers{cfg: cfg, reg: reg, clock: clk}
	if info, ok := cn.Number("2"); !ok || info.Usable {
		t.Errorf("replies-only number for campaigns = %+v, %v; want not usable", info, ok)
	}
	if info, _ := cn.Number("1"); !info.Usable {
		t.Errorf("the active inbox number = %+v", info)
	}
	clk.Advance(time.Hour)
	if info, _ := cn.Number("2"); !info.Usable {
		t.Errorf("after the expiration = %+v, want usable", info)
	}
}
