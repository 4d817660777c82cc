package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/routing"
)

func buildConfig(t *testing.T, numbers string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "flows", "hello.yaml"), []byte(goodFlow), 0o644); err != nil {
		t.Fatal(err)
	}
	src := "flows: flows\nwhatsapp: {app_secret: a, verify_token: b}\nnumbers:\n" + numbers
	path := filepath.Join(dir, "wasla.yaml")
	cfg, err := config.Parse(path, []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestBuildPlacesRegistryProblemsOnTheirLines(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "2", display: "+966500000001", role: campaign, waba: "20", token: t}
`)
	_, _, err := Build(context.Background(), cfg, BuildOptions{})
	var ds config.Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("Build error = %v, want config.Diagnostics", err)
	}
	want := cfg.File + ":5: numbers[1].display: display number +966500000001 is already numbers[0]"
	if got := ds.Error(); got != want {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", got, want)
	}
}

func TestBuildWarnsAboutEmbeddedStoreAndSharedAccount(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "10", token: t}
`)
	logs := &syncbuf.Buffer{}
	srv, closeFn, err := Build(context.Background(), cfg, BuildOptions{Logger: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if srv == nil {
		t.Fatal("no server")
	}
	out := logs.String()
	for _, want := range []string{"level=WARN msg=\"NO REDIS CONFIGURED", "shares WhatsApp Business Account 10 with the inbox number"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestBuildRoutesByCampaign runs a built server end to end: a reply to a campaign number
// whose campaigns entry chooses bridge leaves as that campaign's bridge template from the
// inbox number, where the routing default (link) would have sent a link from the
// campaign number.
func TestBuildRoutesByCampaign(t *testing.T) {
	b := startBuilt(t, `flows: flows
whatsapp: {app_secret: a, verify_token: b}
numbers:
  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "20", token: t2, campaign: ramadan}
routing:
  default_policy: link
campaigns:
  ramadan:
    policy: bridge
    bridge_template: {name: ramadan_continue, language: ar}
limits: {refresh_interval: 0, reload_interval: 0}
`)
	// Sent now, so the campaign number's 24-hour window is open and the link policy
	// could answer from it.
	b.post(t, textTo(t, "2", "16505551234", "hello", time.Now()))
	got := b.waitSent(1)
	if len(got) != 1 {
		t.Fatalf("Graph API requests = %q, want one", got)
	}
	if !strings.HasPrefix(got[0], "1/messages ") || !strings.Contains(got[0], `"type":"template"`) || !strings.Contains(got[0], `"name":"ramadan_continue"`) {
		t.Errorf("sent %s\nwant the ramadan_continue template from the inbox number 1", got[0])
	}
}

func TestRoutingOptionsCarryCampaigns(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
  - {id: "2", display: "+966 50 000 0002", role: campaign, waba: "20", token: t, campaign: ramadan}
routing:
  link_prefill: Hello
  window_template: {name: follow_up, language: ar}
campaigns:
  ramadan:
    policy: hold
    link_text: "Ramadan: {link}"
    link_prefill: Ramadan
    window_template: {name: ramadan_follow_up, language: ar, params: [x]}
`)
	opts := compose.RoutingOptions(cfg, nil)
	got := fmt.Sprintf("default %+v %+v; ramadan %+v %+v", opts.Default, *opts.Default.Fallback, opts.Campaigns["ramadan"], *opts.Campaigns["ramadan"].Fallback)
	want := fmt.Sprintf("default %+v %+v; ramadan %+v %+v",
		routing.Policy{Kind: "link", Prefill: "Hello", Fallback: opts.Default.Fallback}, chat.Template{Name: "follow_up", Language: "ar"},
		routing.Policy{Kind: "hold", LinkText: "Ramadan: {link}", Prefill: "Ramadan", Fallback: opts.Campaigns["ramadan"].Fallback},
		chat.Template{Name: "ramadan_follow_up", Language: "ar", Params: []string{"x"}})
	if got != want {
		t.Errorf("routing options:\n%s\nwant:\n%s", got, want)
	}
}

func TestCampaignTriggerWarnings(t *testing.T) {
	set, diags := flows.ParseFiles(map[string][]byte{
		"ramadan.yaml": []byte("flow: ramadan\ntriggers: [{campaign: ramadan_offers}]\nsteps:\n  - say: hi\n"),
		"eid.yaml":     []byte("flow: eid\ntriggers: [{campaign: eid_offer}]\nsteps:\n  - say: hi\n"),
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := &config.Config{Numbers: []config.Number{{Campaign: "ramadan_offers"}}}
	got := campaignTriggerWarnings(set, cfg)
	want := []string{`eid.yaml:2:12: flow "eid" answers campaign "eid_offer", but no number in the config sends it: the trigger matches only while a started campaign file of that name sends`}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
}

// The configuration's outbox section and admin token reach the server.
func TestBuildWiresTheOutbox(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
`)
	cfg.Outbox = config.Outbox{RetryFirst: time.Second, RetryMax: time.Minute, GiveUpAfter: 48 * time.Hour, Lease: 7 * time.Second}
	cfg.Admin.Token = "admin-token"
	srv, closeFn, err := Build(context.Background(), cfg, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	d := srv.d
	if d.RetryBase != time.Second || d.RetryMax != time.Minute || d.DeliverFor != 48*time.Hour {
		t.Errorf("deps retry %v..%v for %v, want the outbox section's", d.RetryBase, d.RetryMax, d.DeliverFor)
	}
	if d.OutboxAPI == nil || d.Backlog == nil || d.Deliveries == nil {
		t.Error("the outbox API, backlog or delivery states are not wired")
	}
}
