package simulation

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
)

// audience returns n Saudi mobile numbers.
func audience(n int) []chat.ContactID {
	out := make([]chat.ContactID, n)
	for i := range out {
		out[i] = chat.ContactID(fmt.Sprintf("9665%08d", i))
	}
	return out
}

func fiveNumbers() []pacing.Number {
	var pool []pacing.Number
	for i := range 5 {
		pool = append(pool, pacing.Number{NumberRef: pacing.NumberRef{Number: chat.NumberID(fmt.Sprintf("9661100000%02d", i)), Portfolio: "pf1"}, Tier: "TIER_100K"})
	}
	return pool
}

func riyadh(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Asia/Riyadh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// defaultScenario is the campaign of the claim with wasla's defaults.
func defaultScenario(t testing.TB, n int) Scenario {
	cfg := pacing.Defaults()
	cfg.DayZone = riyadh(t)
	return Scenario{Pacing: cfg, Pool: fiveNumbers(), Contacts: audience(n), Start: time.Date(2026, 3, 1, 0, 0, 0, 0, cfg.DayZone),
		MaxDays: 30, Observe: 3, Health: DefaultHealth()}
}

// blastScenario sends it all on day one (Blast): a cap of 20,000 a number, the audience
// split between the five, no spread, no canary, no health policy.
func blastScenario(t testing.TB, n int) Scenario { return Blast(defaultScenario(t, n)) }

func TestTheClaim(t *testing.T) {
	if testing.Short() {
		t.Skip("plays two 100,000-contact campaigns")
	}
	ctx := context.Background()
	careful, err := Run(ctx, defaultScenario(t, 100_000), DefaultModel())
	if err != nil {
		t.Fatal(err)
	}
	blast, err := Run(ctx, blastScenario(t, 100_000), DefaultModel())
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*Result{"default ramp and health policy": careful, "all on day one": blast} {
		t.Logf("%s: finished %q (day %d), reached %d of %d, undelivered %d, dropped %d, unsent %d; numbers RED %v, restricted %v; stopped: %q",
			name, r.Finished, r.DaysToFinish, r.Reached, r.Audience, r.Undelivered, r.Dropped, r.Unsent, r.ReachedRed, r.Restricted, r.Stopped)
	}
	if careful.Finished == "" || careful.Stopped != "" {
		t.Errorf("the careful campaign did not finish: stopped %q", careful.Stopped)
	}
	if len(careful.ReachedRed) != 0 || len(careful.Restricted) != 0 {
		t.Errorf("the careful campaign turned %v RED and got %v restricted", careful.ReachedRed, careful.Restricted)
	}
	for _, n := range careful.Days[len(careful.Days)-1].Numbers {
		if n.Rating == health.Red {
			t.Errorf("%s ends RED", n.Number)
		}
	}
	if careful.Unsent > 0 {
		t.Errorf("the careful campaign left %d contacts unsent", careful.Unsent)
	}
	if len(blast.ReachedRed) == 0 || len(blast.Restricted) == 0 {
		t.Errorf("sending it all on day one turned %v RED and got %v restricted; the model should punish it", blast.ReachedRed, blast.Restricted)
	}
	if blast.Reached >= careful.Reached {
		t.Errorf("the blast reached %d, the careful campaign %d", blast.Reached, careful.Reached)
	}
}
