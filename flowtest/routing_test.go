package flowtest

import (
	"context"
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
