package server

import (
	"slices"
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
