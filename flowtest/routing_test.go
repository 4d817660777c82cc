package flowtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
)

// TestRunRoutesAsServeDoes runs conversation tests with the numbers and routing of a serve
// configuration: a contact who writes to a campaign number gets the link to the inbox in
// place of the flow's replies, once, as on WhatsApp. Without the configuration the same
// tests fail, since every reply then leaves from the number written to.
func TestRunRoutesAsServeDoes(t *testing.T) {
	dir := filepath.Join("testdata", "routing")
	cfg, err := config.Load(filepath.Join(dir, "wasla.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, diags := flows.Load(filepath.Join(dir, "flows"))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tests, diags := ReadFile(filepath.Join(dir, "flows", "routing.test.yaml"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			res := Run(context.Background(), set, tt, RunOptions{NewStore: newMemStore, Config: cfg})
			if !res.Passed() {
				t.Errorf("%s\nconversation:\n%s", res.Failure, strings.Join(res.Transcript, "\n"))
			}
		})
	}
	t.Run("without the configuration", func(t *testing.T) {
		res := Run(context.Background(), set, tests[1], RunOptions{NewStore: newMemStore})
		if res.Passed() || !strings.Contains(res.Failure.Msg, "Our Ramadan offer") {
			t.Errorf("want the invitation test to fail with the flow's own reply, got %v", res.Failure)
		}
	})
}

// TestAgentReplyKeepsTheWindowRules: an agent's reply in a conversation test goes through
// the same routing as the inbox's, so one written after the customer's 24-hour window
// closed is not sent, and the test says why.
func TestAgentReplyKeepsTheWindowRules(t *testing.T) {
	cfg, err := config.Load(filepath.Join("testdata", "routing", "wasla.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	flow := "flow: help\ntriggers: [{fallback: true}]\nsteps:\n  - handoff: {queue: sales, say: \"one moment\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "help.yaml"), []byte(flow), 0o644); err != nil {
		t.Fatal(err)
	}
	set, diags := flows.Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	src := `test: inside the window
steps:
  - user: help
  - agent: "hello from Sara"
  - time: +23h
  - agent: "still here"
---
test: after the window
steps:
  - user: help
  - time: +25h
  - agent: "sorry for the wait"
`
	tests, pd := ParseFile("window.test.yaml", []byte(src))
	if len(pd) > 0 {
		t.Fatal(pd)
	}
	inside := Run(context.Background(), set, tests[0], RunOptions{NewStore: newMemStore, Config: cfg})
	if !inside.Passed() {
		t.Errorf("inside the window: %s\n%s", inside.Failure, strings.Join(inside.Transcript, "\n"))
	}
	after := Run(context.Background(), set, tests[1], RunOptions{NewStore: newMemStore, Config: cfg})
	if after.Passed() || !strings.Contains(after.Failure.Msg, "the agent's reply was not sent") || after.Failure.Pos.Line != 12 {
		t.Errorf("after the window: want the agent's reply refused at line 12, got %v\n%s", after.Failure, strings.Join(after.Transcript, "\n"))
	}
}
