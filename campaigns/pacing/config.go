package pacing

import (
	"fmt"
	"slices"
	"time"
)

// Config holds the pacing policy and the platform facts it rests on. Every number that
// is a fact of Meta's platform is here, with a documented default (Defaults), because
// Meta changes them; docs/campaigns.md explains each default.
type Config struct {
	// Ramp is the default warm-up ramp of a campaign number; a Number may carry its own.
	Ramp Ramp
	// Tiers maps Meta's messaging-limit tiers (TIER_250 ... TIER_UNLIMITED, as the Graph
	// API names them) to the number of unique contacts a portfolio may reach outside a
	// customer service window in a rolling ReachWindow; 0 means unlimited.
	Tiers map[string]int
	// ReachWindow is the rolling period of the portfolio's messaging limit: 24 h.
	ReachWindow time.Duration
	// Canary is the first slice and the pause after it.
	Canary Canary
	// Hours are the sending hours in the contact's time zone, in the syntax of flows'
	// business hours ("daily 09:00-21:00", "sat-thu 10:00-22:00"). Empty: any time.
	Hours string
	// DayZone is the zone whose midnight starts a number's day for its daily cap (the
	// business's zone). Nil: UTC.
	DayZone *time.Location
	// DefaultZone is the zone of a contact whose calling code is not in the country table
	// and who names no zone. Nil: DayZone.
	DefaultZone *time.Location
	// ZoneAttr names the contact attribute that overrides the zone from the calling code
	// with an IANA name ("Asia/Dubai"). Empty: "tz".
	ZoneAttr string
	// DefaultThroughput is a number's messages per second when it names none: 80, Meta's
	// default (1,000 after an upgrade).
	DefaultThroughput int
	// Spread spaces a ramping number's sends over SpreadOver instead of sending its daily
	// allowance in one burst: the gap between two sends is SpreadOver / the day's cap. A
	// number without a cap is limited by its throughput alone.
	Spread     bool
	SpreadOver time.Duration
	// DefaultTier is the tier of a portfolio whose campaign file names none; "":
	// TIER_250, the campaign file's own default.
	DefaultTier string
	// PairGap is the least time between two messages from one number to one recipient:
	// Meta's pair rate limit (131056), documented as one message per 6 s. 0: no check.
	PairGap time.Duration
}

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Ramp: DefaultRamp(),
		Tiers: map[string]int{
			"TIER_250": 250, "TIER_2K": 2_000, "TIER_10K": 10_000, "TIER_100K": 100_000, "TIER_UNLIMITED": 0,
		},
		ReachWindow:       24 * time.Hour,
		Canary:            DefaultCanary(),
		Hours:             "daily 09:00-21:00",
		DefaultThroughput: 80,
		Spread:            true,
		SpreadOver:        10 * time.Hour,
		PairGap:           6 * time.Second,
	}
}

// TierLimit returns a tier's limit (0: unlimited), or an error naming the known tiers.
func (c Config) TierLimit(tier string) (int, error) {
	n, ok := c.Tiers[tier]
	if !ok {
		return 0, fmt.Errorf("messaging limit tier %q is unknown; the configuration knows %v", tier, tierNames(c.Tiers))
	}
	return n, nil
}

func tierNames(m map[string]int) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
