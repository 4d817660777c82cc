package cli

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/chat"
)

func TestCampaignPlanAndSimulateCommands(t *testing.T) {
	t.Setenv("WASLA_REDIS", "") // the usage shows --redis's default
	t.Setenv("WASLA_REDIS_URL", "")
	tests := []struct {
		name string
		args []string
		exit int
	}{
		{name: "campaign_usage", args: []string{"campaign"}, exit: exitUsage},
		{name: "campaign_plan", args: []string{"campaign", "plan", "../../campaigns/simulation/testdata/plan/plan.yaml"}, exit: exitOK},
		{name: "campaign_plan_bad_zone", args: []string{"campaign", "plan", "../../campaigns/simulation/testdata/plan/bad.yaml"}, exit: exitFail},
		{name: "campaign_plan_unknown_key", args: []string{"campaign", "plan", "../../campaigns/simulation/testdata/plan/unknown_key.yaml"}, exit: exitFail},
		{name: "campaign_plan_no_file", args: []string{"campaign", "plan"}, exit: exitUsage},
		{name: "campaign_plan_campaign_file", args: []string{"campaign", "plan", "--config", "../../campaigns/simulation/testdata/campaign/wasla.yaml", "--template-approved", "2026-02-28",
			"../../campaigns/simulation/testdata/campaign/offer.campaign.yaml"}, exit: exitOK},
		{name: "campaign_plan_campaign_file_alone", args: []string{"campaign", "plan", "../../campaigns/simulation/testdata/campaign/offer.campaign.yaml"}, exit: exitOK},
		{name: "campaign_plan_campaign_number_not_configured", args: []string{"campaign", "plan", "--config", "../../campaigns/simulation/testdata/campaign/other.yaml",
			"../../campaigns/simulation/testdata/campaign/offer.campaign.yaml"}, exit: exitFail},
		{name: "campaign_simulate_campaign_file", args: []string{"campaign", "simulate", "--seed", "3", "--chart", os.DevNull, "--config", "../../campaigns/simulation/testdata/campaign/wasla.yaml",
			"../../campaigns/simulation/testdata/campaign/offer.campaign.yaml"}, exit: exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := Run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut)
			if code != tt.exit {
				t.Errorf("exit code %d, want %d", code, tt.exit)
			}
			got := "$ wasla " + strings.Join(tt.args, " ") + "\n" +
				"-- stdout --\n" + out.String() +
				"-- stderr --\n" + errOut.String()
			golden(t, filepath.Join("testdata", "golden", tt.name+".txt"), got)
		})
	}
}

func TestCampaignSimulateIsReproducibleAndDrawsTheChart(t *testing.T) {
	dir := t.TempDir()
	run := func(chart string, extra ...string) string {
		var out, errOut strings.Builder
		args := append([]string{"campaign", "simulate", "--seed", "7", "--chart", chart}, extra...)
		if code := Run(context.Background(), append(args, "../../campaigns/simulation/testdata/plan/plan.yaml"), nil, &out, &errOut); code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		return strings.ReplaceAll(out.String(), chart, "CHART")
	}
	a, b := run(filepath.Join(dir, "a.svg")), run(filepath.Join(dir, "b.svg"))
	if a != b {
		t.Errorf("the same seed played two different runs:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(a, "restricted: 0 []") {
		t.Errorf("the careful plan got numbers restricted:\n%s", a)
	}
	if !strings.Contains(a, "numbers that reached RED: 0 []") {
		t.Errorf("the careful plan turned numbers RED:\n%s", a)
	}
	if blast := run(filepath.Join(dir, "c.svg"), "--blast"); strings.Contains(blast, "numbers that reached RED: 0 []") {
		t.Errorf("sending it all on day one turned no number RED:\n%s", blast)
	}
	data, err := os.ReadFile(filepath.Join(dir, "a.svg"))
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	lines := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != 6 { // volume and score for each of the 3 numbers
		t.Errorf("%d polylines; want 6", lines)
	}
}

func FuzzParsePlan(f *testing.F) {
	for _, name := range []string{"plan.yaml", "bad.yaml", "unknown_key.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "campaigns", "simulation", "testdata", "plan", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("pool: [{number: '1', portfolio: p, tier: TIER_250}]\naudience: {size: 3}\nramp: [0, 5]\n"))
	noFiles := func(string, string, string, bool) ([]chat.ContactID, map[string]int, error) {
		return nil, nil, errors.New("no files in the fuzz target")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, _, err := parsePlan("fuzz.yaml", data, noFiles)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("the error does not name the file: %v", err)
			}
			return
		}
		if len(sc.Pool) == 0 || len(sc.Contacts) == 0 {
			t.Errorf("accepted a plan without a pool or an audience")
		}
	})
}

// TestCampaignSimulateFit fits the model to a history export, prints the fitted values
// and plays the run with them: the output differs from the default model's.
func TestCampaignSimulateFit(t *testing.T) {
	dir := t.TempDir()
	plan := "../../campaigns/simulation/testdata/plan/plan.yaml"
	run := func(extra ...string) string {
		var out, errOut strings.Builder
		args := append([]string{"campaign", "simulate", "--seed", "7", "--chart", filepath.Join(dir, "c.svg")}, extra...)
		if code := Run(context.Background(), append(args, plan), nil, &out, &errOut); code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		return out.String()
	}
	fitted := run("--fit", "../../campaigns/simulation/testdata/history.jsonl")
	want, err := os.ReadFile("../../campaigns/simulation/testdata/fit.golden")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(fitted, string(want)) {
		t.Errorf("the output does not open with the fit:\n%s", fitted[:min(len(fitted), 800)])
	}
	if plain := run(); strings.TrimPrefix(fitted, string(want)+"\n") == plain {
		t.Error("the fitted model played the same run as the default one")
	}
	var out, errOut strings.Builder
	if code := Run(context.Background(), []string{"campaign", "simulate", "--fit", "no-such.jsonl", plan}, nil, &out, &errOut); code != exitFail ||
		!strings.Contains(errOut.String(), "--fit: open no-such.jsonl") {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}
