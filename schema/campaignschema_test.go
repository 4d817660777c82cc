package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/campaigns/campaignfile"
)

// TestCampaignSchemaAcceptsExample validates the example campaign against
// campaign.schema.json and checks its modeline.
func TestCampaignSchemaAcceptsExample(t *testing.T) {
	sch := compileFile(t, "campaign.schema.json", CampaignFile())
	data, err := os.ReadFile(filepath.Join("..", "examples", "campaign", "ramadan.campaign.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlInstance(t, data)); err != nil {
		t.Errorf("the example campaign fails campaign.schema.json: %v", err)
	}
	const modeline = "# yaml-language-server: $schema=../../schema/campaign.schema.json"
	if !strings.Contains(string(data), modeline+"\n") {
		t.Errorf("the example campaign lacks the modeline %q", modeline)
	}
}

// TestCampaignSchemaAgreesWithLoader gives the schema and the loader the same broken
// files: each is rejected by both.
func TestCampaignSchemaAgreesWithLoader(t *testing.T) {
	sch := compileFile(t, "campaign.schema.json", CampaignFile())
	const good = `name: offer
template: {name: offer, language: ar}
audience: {csv: a.csv}
numbers: [{id: "1002"}]
`
	if _, diags := campaignfile.Parse("c.campaign.yaml", []byte(good)); diags != nil {
		t.Fatalf("the base file does not load: %v", diags)
	}
	if err := sch.Validate(yamlInstance(t, []byte(good))); err != nil {
		t.Fatalf("the base file fails the schema: %v", err)
	}
	tests := []struct{ name, src string }{
		{"unknown key", good + "hour: daily\n"},
		{"name", strings.Replace(good, "name: offer\n", "name: Big Offer\n", 1)},
		{"missing audience", strings.Replace(good, "audience: {csv: a.csv}\n", "", 1)},
		{"no numbers", strings.Replace(good, `numbers: [{id: "1002"}]`, "numbers: []", 1)},
		{"tier", strings.Replace(good, `{id: "1002"}`, `{id: "1002", tier: TIER_1K}`, 1)},
		{"percent", good + "stop_loss: {max_failure_rate: ten percent}\n"},
		{"policy", good + "replies: {policy: forward}\n"},
		{"pause", good + "canary: {pause: soon}\n"},
		{"start", good + "start: tomorrow\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, diags := campaignfile.Parse("c.campaign.yaml", []byte(tt.src)); diags == nil {
				t.Errorf("the loader accepts:\n%s", tt.src)
			}
			if err := sch.Validate(yamlInstance(t, []byte(tt.src))); err == nil {
				t.Errorf("the schema accepts:\n%s", tt.src)
			}
		})
	}
}
