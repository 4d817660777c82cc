package examples

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows/expr"
)

var update = flag.Bool("update", false, "rewrite examples/campaign/audience.csv")

// sampleAudience writes the example campaign's 1,000-row audience, deterministically
// (a fixed seed): Saudi, Emirati and Egyptian numbers in national, international and
// Arabic-Indic forms, with spaces and dashes, Arabic and English names, a lang and a
// discount column, and on purpose: bad rows, duplicates and a US number (no marketing).
func sampleAudience() []byte {
	rng := rand.New(rand.NewPCG(1447, 9)) // 1447 AH
	arNames := []string{"محمد", "فاطمة", "عبدالله", "نورة", "خالد", "سارة", "أحمد", "ريم", "يوسف", "هند"}
	enNames := []string{"Omar", "Layla", "Adam", "Mariam", "Zaid", "Huda", "Sami", "Dana", "", "Tariq"}
	arabicIndic := strings.NewReplacer("0", "٠", "1", "١", "2", "٢", "3", "٣", "4", "٤", "5", "٥", "6", "٦", "7", "٧", "8", "٨", "9", "٩")
	var b bytes.Buffer
	b.WriteString("phone,name,lang,discount\n")
	var written []string
	for i := range 1000 {
		lang, name := "ar", arNames[rng.IntN(len(arNames))]
		if rng.IntN(4) == 0 {
			lang, name = "en", enNames[rng.IntN(len(enNames))]
		}
		discount := []string{"15", "20", "25"}[rng.IntN(3)]
		sub := fmt.Sprintf("%08d", rng.IntN(100_000_000))
		var phone string
		switch {
		case i%97 == 13: // bad rows: too short, letters, empty
			phone = []string{"05012", "05O1234567", ""}[i%3]
		case i%89 == 7 && len(written) > 0: // a duplicate in another form
			phone = written[rng.IntN(len(written))]
		case i == 500:
			phone = "+1 212 555 0199" // Meta delivers no marketing to +1
		default:
			switch rng.IntN(6) {
			case 0:
				phone = "05" + sub[:1] + " " + sub[1:4] + " " + sub[4:]
			case 1:
				phone = "+9665" + sub
			case 2:
				phone = arabicIndic.Replace("٠٥" + sub)
			case 3:
				phone = "009665" + sub[:4] + "-" + sub[4:]
			case 4:
				phone = "+9715" + sub
			default:
				phone = "+2010" + sub
			}
			written = append(written, phone)
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", phone, name, lang, discount)
	}
	return b.Bytes()
}

// TestCampaignExample loads the example campaign, checks its committed audience against
// the generator (go test ./examples -run TestCampaignExample -update rewrites it), imports
// it and renders the template for a contact of each language.
func TestCampaignExample(t *testing.T) {
	path := filepath.Join("campaign", "audience.csv")
	want := sampleAudience()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what sampleAudience writes; run go test ./examples -run TestCampaignExample -update", path)
	}
	camp, diags := campaignfile.Load(filepath.Join("campaign", "ramadan.campaign.yaml"))
	if diags != nil {
		t.Fatalf("the example campaign does not load:\n%v", diags)
	}
	if len(camp.Numbers) != 2 || camp.Numbers[0].Portfolio != camp.Numbers[1].Portfolio {
		t.Errorf("want two numbers in one portfolio, got %+v", camp.Numbers)
	}
	phones, err := audience.NewPhones(camp.Audience.DefaultCountry)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memorySink{}
	rep, err := audience.Import(context.Background(), bytes.NewReader(got), sink,
		audience.Options{PhoneColumn: camp.Audience.PhoneColumn, Phones: phones, Marketing: camp.Template.Marketing})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d; skipped %v", rep.Added, rep.Skipped)
	for _, r := range []audience.Reason{audience.Invalid, audience.Duplicate, audience.NoMarketing} {
		if rep.SkippedBy(r) == 0 {
			t.Errorf("the sample audience has no row left out as %v", r)
		}
	}
	if rep.Added < 950 {
		t.Errorf("only %d of 1,000 rows imported", rep.Added)
	}
	for _, tc := range []struct {
		attrs      map[string]string
		lang, name string
	}{
		{map[string]string{"name": "نورة", "lang": "ar", "discount": "20"}, "ar", "نورة"},
		{map[string]string{"name": "", "lang": "en", "discount": "15"}, "en", "friend"},
	} {
		tpl, err := camp.Render("966500000001", tc.attrs, camp.Start)
		if err != nil {
			t.Fatal(err)
		}
		if tpl.Language != tc.lang || tpl.Params[0] != tc.name || tpl.Params[1] != tc.attrs["discount"]+"%" {
			t.Errorf("Render(%v) = %+v", tc.attrs, tpl)
		}
	}
}

// memorySink keeps an import in memory, deduplicating like the Redis audience.
type memorySink struct{ seen map[chat.ContactID]bool }

func (s *memorySink) Begin(context.Context, audience.Header) error { return nil }
func (s *memorySink) Add(_ context.Context, batch []audience.Recipient) ([]bool, error) {
	if s.seen == nil {
		s.seen = map[chat.ContactID]bool{}
	}
	added := make([]bool, len(batch))
	for i, r := range batch {
		added[i] = !s.seen[r.Contact]
		s.seen[r.Contact] = true
	}
	return added, nil
}

// TestVIPCampaignExample loads the example campaign that chooses stored contacts and
// evaluates its expression on a few contacts, as `wasla campaign start` does.
func TestVIPCampaignExample(t *testing.T) {
	camp, diags := campaignfile.Load(filepath.Join("campaign", "vip_eid.campaign.yaml"))
	if diags != nil {
		t.Fatalf("the example campaign does not load:\n%v", diags)
	}
	if camp.Audience.Contacts == nil || camp.Audience.CSV != "" {
		t.Fatalf("audience %+v: want stored contacts and no CSV", camp.Audience)
	}
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		tags     []string
		attrs    map[string]string
		lastSeen time.Time
		want     bool
	}{
		{"vip, seen last week", []string{"vip"}, nil, now.Add(-7 * 24 * time.Hour), true},
		{"three orders, seen yesterday", nil, map[string]string{"orders": "3"}, now.Add(-24 * time.Hour), true},
		{"one order", nil, map[string]string{"orders": "1"}, now.Add(-24 * time.Hour), false},
		{"vip, not seen for 90 days", []string{"vip"}, nil, now.Add(-90 * 24 * time.Hour), false},
		{"never wrote", []string{"vip"}, nil, time.Time{}, false},
	} {
		env := &expr.Env{Now: now, Contact: expr.ContactEnv{Tags: tc.tags, Attrs: tc.attrs}, Session: expr.SessionEnv{LastInbound: tc.lastSeen}}
		got, err := camp.Audience.Contacts.EvalBool(env)
		if err != nil || got != tc.want {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

// TestCampaignExampleConfig loads the example's serve configuration: its pacing defaults,
// a number's own ramp and the rate table.
func TestCampaignExampleConfig(t *testing.T) {
	cfg, err := config.Load("campaign.wasla.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Pacing.DefaultTier != "TIER_2K" || cfg.Pacing.Zone != "Asia/Riyadh" || cfg.Numbers[2].Ramp[0] != 25 ||
		cfg.Rates.Currency != "USD" || cfg.Rates.Prices["marketing"]["SA"] != "0.0456" {
		t.Errorf("pacing %+v, rates %+v", cfg.Pacing, cfg.Rates)
	}
}
