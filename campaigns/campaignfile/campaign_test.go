package campaignfile

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/pacing"
)

var update = flag.Bool("update", false, "rewrite the golden diagnostics in testdata")

// TestDiagnostics loads broken campaign files and compares every problem, printed as
// wasla validate prints them, with the golden files beside them.
func TestDiagnostics(t *testing.T) {
	for _, name := range []string{"bad", "badexpr"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".campaign.yaml")
			camp, diags := Load(path)
			if camp != nil || diags == nil {
				t.Fatalf("Load(%s) accepted a broken file", path)
			}
			var b strings.Builder
			if err := diags.Print(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}

// TestParse reads a full file into the campaign and the pacing configuration.
func TestParse(t *testing.T) {
	src := `name: offer
template:
  name: offer
  language: '{{ contact.attrs.lang }}'
  category: utility
  params: ["{{ contact.name }}", "{{ contact.attrs.city }}"]
audience: {csv: a.csv, phone_column: mobile, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_2K, portfolio: pf, throughput: 20, ramp: [10, 20]}
replies: {policy: hold, flow: answers}
hours: "daily 19:00-23:00"
zone: Asia/Riyadh
start: 2026-03-01T19:00:00+03:00
ttl: 2d
stop_loss: {max_failure_rate: 5%, max_opt_out_rate: 1.5%}
canary: {share: 0%}
pacing: {ramp: [100, 0], spread_over: 4h, zone_attribute: zone}
`
	camp, diags := Parse(filepath.Join("dir", "c.campaign.yaml"), []byte(src))
	if diags != nil {
		t.Fatal(diags)
	}
	if camp.Audience.CSV != filepath.Join("dir", "a.csv") || camp.Audience.PhoneColumn != "mobile" || camp.Template.Marketing {
		t.Errorf("audience/template: %+v %+v", camp.Audience, camp.Template)
	}
	if n := camp.Numbers[0]; n.Throughput != 20 || n.Tier != "TIER_2K" || len(n.Ramp) != 2 {
		t.Errorf("number: %+v", n)
	}
	cfg := camp.Pacing(pacing.Defaults())
	if cfg.Canary.Share != 0 || cfg.Canary.MaxFailureRate != 0.05 || cfg.Canary.MaxOptOutRate != 0.015 ||
		cfg.SpreadOver != 4*time.Hour || cfg.ZoneAttr != "zone" || cfg.Ramp.Steps[0] != 100 || cfg.Hours != "daily 19:00-23:00" {
		t.Errorf("pacing: %+v", cfg)
	}
	started := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	from, until := camp.Window(started)
	if !from.Equal(camp.Start) || !until.Equal(camp.Start.Add(48*time.Hour)) {
		t.Errorf("window: %v .. %v", from, until)
	}
	tpl, err := camp.Render("966500000001", map[string]string{"name": "Sara", "lang": "en", "city": "Jeddah"}, started)
	if err != nil || tpl.Language != "en" || strings.Join(tpl.Params, ",") != "Sara,Jeddah" {
		t.Errorf("Render = %+v, %v", tpl, err)
	}
}

// TestSpecDocumentsEveryKey requires a description for every key of the format.
func TestSpecDocumentsEveryKey(t *testing.T) {
	var walk func(s interface{ Names() []string }, what string)
	_ = walk
	for _, f := range FormatSpec().Fields {
		if f.Doc == "" {
			t.Errorf("key %s has no description", f.Name)
		}
		if f.Spec.Fields != nil {
			for _, g := range f.Spec.Fields {
				if g.Doc == "" {
					t.Errorf("key %s.%s has no description", f.Name, g.Name)
				}
			}
		}
	}
}
