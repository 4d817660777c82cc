package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/internal/redistest"
)

// campaignGraph is a Graph API that takes a few milliseconds per send (so a campaign is
// still running when the test kills wasla) and records every template it accepted.
type campaignGraph struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []campaignSend
	n   int // requests seen
	// hold names requests (1-based) the fake never answers, so wasla is killed waiting:
	// true records the message first (Meta accepted it), false does not (it never arrived).
	hold map[int]bool
	held chan int
}

type campaignSend struct{ number, to, wamid, callback string }

func newCampaignGraph(t *testing.T) *campaignGraph {
	g := &campaignGraph{hold: map[int]bool{}, held: make(chan int, 8)}
	path := regexp.MustCompile(`^/v[0-9.]+/([0-9]+)/messages$`)
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := path.FindStringSubmatch(r.URL.Path)
		var body struct {
			To       string `json:"to"`
			Type     string `json:"type"`
			Callback string `json:"biz_opaque_callback_data"`
		}
		data, _ := io.ReadAll(r.Body)
		if m == nil || json.Unmarshal(data, &body) != nil || body.Type != "template" {
			http.Error(w, `{"error":{"message":"unexpected request","code":100}}`, http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		g.n++
		n := g.n
		accept, hold := g.hold[n]
		s := campaignSend{number: m[1], to: strings.TrimPrefix(body.To, "+"), callback: body.Callback}
		if !hold || accept {
			s.wamid = fmt.Sprintf("wamid.C%06d", len(g.got)+1)
			g.got = append(g.got, s)
		}
		g.mu.Unlock()
		if hold {
			g.held <- n
			<-r.Context().Done() // the client died waiting for the answer
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp", "messages": []any{map[string]any{"id": s.wamid}}})
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *campaignGraph) sends() []campaignSend {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]campaignSend(nil), g.got...)
}

// campaignStatus is Meta's "sent" status webhook of a campaign message, with its callback
// data.
func campaignStatus(t *testing.T, s campaignSend) []byte {
	display := map[string]string{holdID: holdDisplay, linkID: linkDisplay}[s.number]
	root := decode(t, statusWebhook(t, s.number, display, s.to, s.wamid, "sent", time.Now()))
	st := value(root)["statuses"].([]any)[0].(map[string]any)
	st["biz_opaque_callback_data"] = s.callback
	return encode(t, root)
}

const killCampaign = `name: kill
template: {name: offer, language: en, params: ["{{ contact.name }}"]}
audience: {csv: audience.csv, default_country: SA}
numbers:
  - {id: "%s", tier: TIER_UNLIMITED, ramp: [0]}
  - {id: "%s", tier: TIER_UNLIMITED, ramp: [0]}
hours: ""
canary: {share: 0%%}
pacing: {claim_lease: 1s, unknown_grace: 8s}
`

// TestCampaignSurvivesSIGKILL starts a 400-contact campaign, SIGKILLs wasla serve three
// times in the middle of it and restarts it; Meta's status webhooks of what it accepted
// are delivered after each restart (as Meta redelivers to an endpoint that was down).
// Every contact receives exactly one copy, and nobody is skipped.
func TestCampaignSurvivesSIGKILL(t *testing.T) {
	const contacts = 400
	rs := redistest.Start(t, redistest.AppendOnly())
	if rs == nil {
		t.Skip("no redis-server")
	}
	g := newCampaignGraph(t)
	cfg := writeConfig(t, rs.URL(), g.srv.URL)
	dir := filepath.Dir(cfg)
	var csv strings.Builder
	csv.WriteString("phone,name\n")
	for i := range contacts {
		fmt.Fprintf(&csv, "05%08d,c%d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "audience.csv"), []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	campFile := filepath.Join(dir, "kill.campaign.yaml")
	if err := os.WriteFile(campFile, []byte(fmt.Sprintf(killCampaign, holdID, linkID)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(waslaBin, "campaign", "start", campFile, "--redis", rs.URL()).CombinedOutput(); err != nil {
		t.Fatalf("wasla campaign start: %v\n%s", err, out)
	}

	delivered := 0 // statuses posted so far
	deliver := func(p *proc) {
		all := g.sends()
		for _, s := range all[delivered:] {
			p.mustPost(campaignStatus(t, s))
		}
		delivered = len(all)
	}
	kills, inFlight := 0, 0
	rdb := rs.Client(t)
	// Kill while Meta holds the 60th and 260th requests, which it accepted, and the
	// 150th, which it never saw.
	g.mu.Lock()
	g.hold = map[int]bool{60: true, 150: false, 260: true}
	g.mu.Unlock()
	for range 3 {
		p := serve(t, cfg)
		deliver(p)
		select {
		case <-g.held:
		case <-time.After(waitTimeout):
			t.Fatal("the campaign did not reach the next kill point")
		}
		p.signal(syscall.SIGKILL)
		p.wait()
		kills++
		// The claims the dead process held: attempts whose answer it never settled.
		states, err := rdb.HVals(context.Background(), "wasla:{c:kill}:send").Result()
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[byte]int{}
		for _, st := range states {
			kinds[st[0]]++
			if strings.HasPrefix(st, "c|") {
				inFlight++
			}
		}
		t.Logf("kill %d after %d sends: states %v", kills, len(g.sends()), kinds)
	}
	p := serve(t, cfg)
	ctl := runner.NewControl(rs.Client(t), "wasla")
	ctx := context.Background()
	deadline := time.Now().Add(45 * time.Second)
	for {
		deliver(p)
		rec, err := ctl.Get(ctx, "kill")
		if err != nil {
			t.Fatal(err)
		}
		if rec.State == runner.StateDone {
			break
		}
		if time.Now().After(deadline) {
			rep, _ := ctl.Status(ctx, "kill")
			t.Fatalf("the campaign is not done: %+v", rep)
		}
		time.Sleep(50 * time.Millisecond) // polling a real server
	}
	per := map[string]int{}
	for _, s := range g.sends() {
		per[s.to]++
	}
	dups := 0
	for to, n := range per {
		if n != 1 {
			dups++
			t.Errorf("contact %s received %d copies", to, n)
		}
	}
	rep, err := ctl.Status(ctx, "kill")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d kills with %d attempts in flight; %d sends to %d contacts; %d duplicates; unknown %d, resolved by status %d, sent again %d",
		kills, inFlight, len(g.sends()), len(per), dups, rep.Total.Unknown, rep.Total.UnknownResolved, rep.Total.UnknownResent)
	if len(per) != contacts {
		t.Errorf("%d of %d contacts received the campaign", len(per), contacts)
	}
	if rep.Total.Sent != contacts {
		t.Errorf("the status counts %d sent, want %d", rep.Total.Sent, contacts)
	}
}
