package cli

import (
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/config"
)

// A campaign file played by plan or simulate uses what the live runner uses: the
// file's stop_loss thresholds, and the configuration's rate table at the template's
// category.
func TestCampaignScenarioUsesTheLiveStopLossAndRates(t *testing.T) {
	camp, diags := campaignfile.Parse("x.campaign.yaml", []byte(`name: x
template: {name: offer, language: ar, category: marketing}
audience: {csv: a.csv, default_country: SA}
numbers: [{id: "1002"}]
stop_loss: {max_opt_out_rate: 1%, max_failure_rate: 4%}
`))
	if diags != nil {
		t.Fatal(diags)
	}
	cfg, err := config.Parse("wasla.yaml", []byte(`flows: flows
whatsapp: {app_secret: a, verify_token: b}
numbers:
  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "1002", display: "+966 50 000 0002", role: campaign, waba: "20", token: t2}
rates: {currency: SAR, prices: {marketing: {SA: "0.17"}}}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	one := func(string, string, string, bool) ([]chat.ContactID, map[string]int, error) {
		return []chat.ContactID{"966500000009"}, nil, nil
	}
	sc, _, err := campaignScenario(camp, cfg, "", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), one)
	if err != nil {
		t.Fatal(err)
	}
	if want := health.CampaignStopLoss(0.01, 0.04); sc.Health.StopLoss != want {
		t.Errorf("stop-loss %+v; want %+v", sc.Health.StopLoss, want)
	}
	if p, ok := sc.Rates.Price(sc.Category, true, "966500000009"); !ok || p != 170_000 || sc.Rates.Currency != "SAR" {
		t.Errorf("price %v %v %s; want 0.17 SAR", p, ok, sc.Rates.Currency)
	}
}
