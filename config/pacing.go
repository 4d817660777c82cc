package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// Pacing holds the campaign pacing defaults of this deployment; a campaign file's own keys
// win over them, and pacing.Defaults() fills what neither sets (docs/campaigns.md). The
// platform's numbers (tiers, pair rate) are here because Meta changes them.
type Pacing struct {
	// Ramp is the default warm-up ramp: daily caps per clean day; nil: the built-in one.
	Ramp []int
	// Tiers maps Meta's messaging-limit tiers to unique contacts per rolling 24 h (0:
	// unlimited), over the built-in table; DefaultTier is the tier of a campaign number
	// whose campaign file names none ("": TIER_250).
	Tiers       map[string]int
	DefaultTier string
	// Canary is the default first slice and pause; its fields are set only when given.
	Canary Canary
	// Hours are the default sending hours; HoursSet distinguishes "" (any time) from unset.
	Hours    string
	HoursSet bool
	// Zone is the default business time zone (IANA name); "": UTC.
	Zone string
	// PairRate is the least time between two messages from one number to one recipient
	// (Meta's pair rate limit, 131056); 0: the built-in 6 s.
	PairRate time.Duration
}

// Canary is a canary default; a nil field keeps the built-in value.
type Canary struct {
	Share    *float64
	Min, Max *int
	Pause    *time.Duration
}

// Rates is the price table that turns the pricing block of status webhooks into money.
// Meta changes its rates; these are the operator's to keep current.
type Rates struct {
	// Currency is an ISO 4217 code.
	Currency string
	// Prices maps a pricing category (marketing, utility, authentication, service) to
	// prices by ISO country code, "*" for every other market, as decimal text.
	Prices map[string]map[string]string
}

var (
	patternPercent = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?%$`)
	patternPrice   = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,6})?$`)
	patternMarket  = regexp.MustCompile(`^([A-Z]{2}|\*)$`)
)

func (p *parser) pacing(v *yaml.Node, out *Pacing) {
	spec := FormatSpec().Field("pacing").Spec
	p.mapping(v, "pacing", spec, map[string]func(k, v *yaml.Node){
		"ramp": func(_, v *yaml.Node) { out.Ramp = p.ramp(v, "pacing.ramp") },
		"tiers": func(_, v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				p.errorf(yamlfile.CodeWrongType, v, "pacing.tiers must map tier names (TIER_2K) to unique contacts per 24 hours, found %s", yamlfile.Quote(v))
				return
			}
			out.Tiers = map[string]int{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				name := p.str(v.Content[i], "a tier name")
				out.Tiers[name] = p.integer(v.Content[i+1], "pacing.tiers."+name, 0)
			}
		},
		"default_tier": func(_, v *yaml.Node) { out.DefaultTier = p.str(v, "pacing.default_tier") },
		"canary": func(_, v *yaml.Node) {
			p.mapping(v, "pacing.canary", spec.Field("canary").Spec, map[string]func(k, v *yaml.Node){
				"share": func(_, v *yaml.Node) {
					s := p.str(v, "pacing.canary.share")
					if !patternPercent.MatchString(s) {
						p.errorf(yamlfile.CodeBadValue, v, "pacing.canary.share must be a percentage such as 2%% (0%% turns the canary off), found %q", s)
						return
					}
					f, _ := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
					f /= 100
					out.Canary.Share = &f
				},
				"min": func(_, v *yaml.Node) { n := p.integer(v, "pacing.canary.min", 0); out.Canary.Min = &n },
				"max": func(_, v *yaml.Node) { n := p.integer(v, "pacing.canary.max", 0); out.Canary.Max = &n },
				"pause": func(_, v *yaml.Node) {
					if d, ok := p.duration(v, "pacing.canary.pause", true); ok {
						out.Canary.Pause = &d
					}
				},
			})
		},
		"hours": func(_, v *yaml.Node) { out.Hours, out.HoursSet = p.str(v, "pacing.hours"), true },
		"zone": func(_, v *yaml.Node) {
			out.Zone = p.str(v, "pacing.zone")
			if _, err := time.LoadLocation(out.Zone); err != nil {
				p.errorf(yamlfile.CodeBadValue, v, "pacing.zone must be an IANA time zone such as Asia/Riyadh, found %q", out.Zone)
			}
		},
		"pair_rate": p.durationInto(&out.PairRate, "pacing.pair_rate", true),
	})
	if out.DefaultTier != "" && out.Tiers != nil {
		if _, ok := out.Tiers[out.DefaultTier]; !ok && !slices.Contains(builtinTiers, out.DefaultTier) {
			p.errorf(yamlfile.CodeUndefinedTarget, v, "pacing.default_tier %q is not a tier%s", out.DefaultTier, yamlfile.DidYouMean(out.DefaultTier, builtinTiers))
		}
	}
}

// builtinTiers are Meta's tier names as the Graph API writes them.
var builtinTiers = []string{"TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"}

// ramp reads a warm-up ramp: positive daily caps, only the last may be 0 (no cap).
func (p *parser) ramp(v *yaml.Node, what string) []int {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		p.errorf(yamlfile.CodeWrongType, v, "%s must be a list of daily caps such as [50, 100, 200, 0], found %s", what, yamlfile.Quote(v))
		return nil
	}
	out := make([]int, len(v.Content))
	for i, x := range v.Content {
		out[i] = p.integer(x, fmt.Sprintf("%s[%d]", what, i), 0)
		if out[i] == 0 && i != len(v.Content)-1 && x.Value == "0" {
			p.errorf(yamlfile.CodeBadValue, x, "%s[%d] is 0: only the last step may be 0 (no cap)", what, i)
		}
	}
	return out
}

func (p *parser) rates(v *yaml.Node, out *Rates) {
	spec := FormatSpec().Field("rates").Spec
	p.mapping(v, "rates", spec, map[string]func(k, v *yaml.Node){
		"currency": func(_, v *yaml.Node) {
			out.Currency = p.str(v, "rates.currency")
			if !regexp.MustCompile(`^[A-Z]{3}$`).MatchString(out.Currency) {
				p.errorf(yamlfile.CodeBadValue, v, "rates.currency must be an ISO 4217 code such as USD, found %q", out.Currency)
			}
		},
		"prices": func(_, v *yaml.Node) {
			if v.Kind != yaml.MappingNode {
				p.errorf(yamlfile.CodeWrongType, v, "rates.prices must map categories (marketing, utility, authentication, service) to prices by country, found %s", yamlfile.Quote(v))
				return
			}
			out.Prices = map[string]map[string]string{}
			cats := spec.Field("prices").Spec.Key.Enum
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, body := v.Content[i], v.Content[i+1]
				cat := p.oneOf(k, "a rates.prices category", cats...)
				if cat == "" {
					continue
				}
				if body.Kind != yaml.MappingNode {
					p.errorf(yamlfile.CodeWrongType, body, "rates.prices.%s must map country codes (SA, AE, \"*\" for the rest) to prices, found %s", cat, yamlfile.Quote(body))
					continue
				}
				m := map[string]string{}
				for j := 0; j+1 < len(body.Content); j += 2 {
					mk, mv := body.Content[j], body.Content[j+1]
					market, price := p.str(mk, "a market"), p.str(mv, "a price")
					if !patternMarket.MatchString(market) {
						p.errorf(yamlfile.CodeBadValue, mk, "rates.prices.%s: %q is not a country code: write an ISO code such as SA, or \"*\" for every other market", cat, market)
						continue
					}
					if !patternPrice.MatchString(price) {
						p.errorf(yamlfile.CodeBadValue, mv, "rates.prices.%s.%s must be a price such as 0.0456 (at most six decimals), found %q", cat, market, price)
						continue
					}
					m[market] = price
				}
				out.Prices[cat] = m
			}
		},
	})
	if len(out.Prices) > 0 && out.Currency == "" {
		p.errorf(yamlfile.CodeMissingKey, v, "rates: missing key `currency` (the ISO 4217 code the prices are in, such as USD)")
	}
}
