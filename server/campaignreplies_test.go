package server

import (
	"context"
	"fmt"
	"io"
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

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/internal/redistest"
)

const eidFlow = `flow: eid_reply
triggers:
  - campaign: eid
steps:
  - say: "eid reply"
`

const eidCampaign = `name: eid
template: {name: eid_offer, language: ar}
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "2", tier: TIER_UNLIMITED}
replies: {policy: hold, flow: eid_reply}
canary: {share: 0%}
`

// TestCampaignFileRoutesReplies runs a built server against real Redis: the
// configuration routes number 2's replies by the link policy and names no campaign. Before
// any campaign file is started, a message to number 2 is answered by the link; once the
// campaign file "eid" (pool: number 2, replies: hold, flow eid_reply) is started — with
// no restart — the next message carries the campaign's name to the flow's campaign
// trigger and the answer leaves from number 2 itself, as hold says.
func TestCampaignFileRoutesReplies(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	var mu sync.Mutex
	var sent []string // "<phone number id> <request body>"
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = append(sent, strings.TrimPrefix(r.URL.Path, "/v25.0/")+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.out1"}]}`)
	}))
	t.Cleanup(graph.Close) // outlives the built server
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"hello.yaml": goodFlow, "eid.yaml": eidFlow} {
		if err := os.WriteFile(filepath.Join(dir, "flows", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := `flows: flows
redis: ` + rs.URL() + `
whatsapp: {app_secret: a, verify_token: b, graph_url: ` + graph.URL + `}
numbers:
  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "20", token: t2, portfolio: pf}
routing:
  default_policy: link
limits: {refresh_interval: 0, reload_interval: 0}
`
	cfg, err := config.Parse(filepath.Join(dir, "wasla.yaml"), []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, closeFn, err := Build(context.Background(), cfg, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveBuilt(t, srv, closeFn)
	post := func(id, text string) {
		t.Helper()
		body := strings.NewReplacer(`"106540352242922"`, `"2"`, "Does it come in another color?", text,
			"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", id,
			`"1749416383"`, fmt.Sprintf("%q", strconv.FormatInt(time.Now().Unix(), 10))).Replace(string(sample(t, "text.json")))
		postWebhook(t, addr, body)
	}
	waitSends := func(n int) []string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			got := slices.Clone(sent)
			mu.Unlock()
			if len(got) >= n {
				return got
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("Graph API requests: want %d, got %q", n, sent)
		return nil
	}

	post("wamid.before", "hello")
	got := waitSends(1)
	if !strings.HasPrefix(got[0], "2/messages ") || !strings.Contains(got[0], "wa.me") {
		t.Fatalf("before the campaign file: sent %s\nwant the link policy's wa.me link from number 2", got[0])
	}

	// Start the campaign file in Redis, as `wasla campaign start` does from another host.
	camp, diags := campaignfile.Parse("eid.campaign.yaml", []byte(eidCampaign))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctl := runner.NewControl(rs.Client(t), "")
	if _, err := runner.Import(context.Background(), ctl, camp, []byte(eidCampaign), strings.NewReader("phone\n0555555555\n"), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	// The runner sees started campaigns on its next pass (a second apart); the template of
	// the one-contact audience goes out on it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, _, ok := srv.d.Campaigns.Replies("2"); ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	post("wamid.after", "anything")
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got = slices.Clone(sent)
		mu.Unlock()
		if slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "eid reply") }) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	i := slices.IndexFunc(got, func(s string) bool { return strings.Contains(s, "eid reply") })
	if i < 0 || !strings.HasPrefix(got[i], "2/messages ") {
		t.Fatalf("after the campaign file: sent %q\nwant the eid_reply flow's answer from number 2 (hold)", got)
	}
}
