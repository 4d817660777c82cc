package server

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/inbox"
)

func TestInboxQueueWarnings(t *testing.T) {
	set, diags := flows.Parse("f.yaml", []byte("flow: f\ntriggers: [{fallback: true}]\nsteps:\n  - handoff: billing\n"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	set.Settings.ErrorHandoff = "sales"
	set.Settings.Queues = map[string]*flows.Queue{"billing": {Name: "billing"}, "sales": {Name: "sales"}}
	icfg := &inbox.Config{File: "inbox.yaml", Queues: []inbox.Queue{{Name: "sales"}, {Name: "vip"}}}
	got := inboxQueueWarnings(set, icfg)
	want := []string{
		`flow f hands off to queue "billing", which inbox.yaml does not list: no agent will see those conversations`,
		`queue "vip" of inbox.yaml is not in the flows' settings.queues: its SLA counts every hour`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n got %q\nwant %q", got, want)
	}
	set.Settings.Queues = nil
	icfg.Queues = append(icfg.Queues, inbox.Queue{Name: "billing"})
	if got := inboxQueueWarnings(set, icfg); len(got) != 0 {
		t.Errorf("no warning expected, got %q", got)
	}
}

// The documented first run (wasla.example.yaml's flows with inbox.example.yaml) starts
// without queue warnings.
func TestExampleInboxQueuesMatchExampleFlows(t *testing.T) {
	set, diags := flows.Load(filepath.Join("..", "examples", "shop"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	icfg, err := inbox.LoadConfig(filepath.Join("..", "inbox.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := inboxQueueWarnings(set, icfg); len(got) != 0 {
		t.Errorf("the example pair warns:\n%s", strings.Join(got, "\n"))
	}
}
