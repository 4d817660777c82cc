package config

import (
	"testing"
	"time"
)

// TestParsePacingAndRates reads the pacing defaults and the rate table, and reports bad
// values at their line and column with a sentence that says what to write.
func TestParsePacingAndRates(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal+`pacing:
  ramp: [10, 20, 0]
  tiers: {TIER_2K: 1500}
  default_tier: TIER_2K
  canary: {share: 5%, pause: 2h}
  hours: ""
  zone: Asia/Riyadh
  pair_rate: 10s
rates:
  currency: SAR
  prices:
    marketing: {SA: 0.17, "*": "0.2"}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Pacing
	if len(p.Ramp) != 3 || p.Tiers["TIER_2K"] != 1500 || p.DefaultTier != "TIER_2K" || *p.Canary.Share != 0.05 ||
		*p.Canary.Pause != 2*time.Hour || p.Canary.Min != nil || !p.HoursSet || p.Hours != "" || p.Zone != "Asia/Riyadh" ||
		p.PairRate != 10*time.Second {
		t.Errorf("pacing %+v", p)
	}
	if cfg.Rates.Currency != "SAR" || cfg.Rates.Prices["marketing"]["SA"] != "0.17" || cfg.Rates.Prices["marketing"]["*"] != "0.2" {
		t.Errorf("rates %+v", cfg.Rates)
	}

	for _, tt := range []struct{ name, src, want string }{
		{"a ramp step of 0 before the last", "pacing:\n  ramp: [10, 0, 20]\n",
			"c.yaml:12:14: pacing.ramp[1] is 0: only the last step may be 0 (no cap)"},
		{"a bad share", "pacing:\n  canary: {share: 5}\n",
			`c.yaml:12:19: pacing.canary.share must be a percentage such as 2% (0% turns the canary off), found "5"`},
		{"a bad zone", "pacing:\n  zone: Riyadh\n",
			`c.yaml:12:9: pacing.zone must be an IANA time zone such as Asia/Riyadh, found "Riyadh"`},
		{"a bad market and price", "rates:\n  currency: USD\n  prices:\n    marketing: {Saudi: \"0.1\", SA: \"cheap\"}\n",
			"c.yaml:14:17: rates.prices.marketing: \"Saudi\" is not a country code: write an ISO code such as SA, or \"*\" for every other market\n" +
				`c.yaml:14:35: rates.prices.marketing.SA must be a price such as 0.0456 (at most six decimals), found "cheap"`},
		{"prices without a currency", "rates:\n  prices:\n    utility: {\"*\": \"0.01\"}\n",
			"c.yaml:12:3: rates: missing key `currency` (the ISO 4217 code the prices are in, such as USD)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(minimal+tt.src), nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("diagnostics:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
}
