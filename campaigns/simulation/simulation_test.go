package simulation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/health"
)

// A list that does not want the message: the health policy must see it coming from
// wasla's own signals and slow or stop numbers, while the same campaign without a policy
// keeps sending into it.
func TestThePolicyActsOnAHostileAudience(t *testing.T) {
	ctx := context.Background()
	hostile := DefaultModel()
	hostile.Block, hostile.Report, hostile.OptOut, hostile.Negative = 0.012, 0.003, 0.01, 0.01
	sc := defaultScenario(t, 20_000)
	sc.Health.StopLoss = health.StopLoss{} // let the numbers' policy act alone
	with, err := Run(ctx, sc, hostile)
	if err != nil {
		t.Fatal(err)
	}
	sc.Health = nil
	without, err := Run(ctx, sc, hostile)
	if err != nil {
		t.Fatal(err)
	}
	acted := map[health.State]int{}
	for _, e := range with.Events {
		acted[e.To]++
	}
	t.Logf("with the policy: events %v, RED %v, restricted %v, reached %d; without: RED %v, restricted %v, reached %d",
		acted, with.ReachedRed, with.Restricted, with.Reached, without.ReachedRed, without.Restricted, without.Reached)
	if acted[health.Slowed]+acted[health.Stopped] == 0 {
		t.Error("the policy neither slowed nor stopped a number of a hostile campaign")
	}
	if len(with.Restricted) >= len(without.Restricted) && len(without.Restricted) > 0 {
		t.Errorf("the policy saved no number: %d restricted with it, %d without", len(with.Restricted), len(without.Restricted))
	}
}

func TestRunsAreReproducible(t *testing.T) {
	sc := defaultScenario(t, 3_000)
	a, err := Run(context.Background(), sc, DefaultModel())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(context.Background(), sc, DefaultModel())
	m := DefaultModel()
	m.Seed = 2
	c, _ := Run(context.Background(), sc, m)
	if a.Reached != b.Reached || len(a.Events) != len(b.Events) || a.Finished != b.Finished {
		t.Errorf("one seed, two runs: %d/%d reached", a.Reached, b.Reached)
	}
	if fmtDays(a) == fmtDays(c) {
		t.Errorf("seeds 1 and 2 played the same run")
	}
}

func TestPlanFollowsTheRampAndTheCanary(t *testing.T) {
	sc := defaultScenario(t, 5_000)
	r, err := Run(context.Background(), sc, QuietModel())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ReachedRed) > 0 || len(r.Events) > 0 || r.Reached != 5_000 {
		t.Fatalf("the quiet model complained: %+v", r)
	}
	// Day 1: the canary's 100 contacts (2 % of 5,000), then its 6-hour pause.
	if got := total(r.Days[0]); got < 100 || got >= 250 {
		t.Errorf("day 1 sent %d; want the canary slice and a little after its pause", got)
	}
	for i, d := range r.Days[1:4] {
		for _, n := range d.Numbers {
			if want := sc.Pacing.Ramp.Steps[i+1]; n.Sent != want || n.Cap != want {
				t.Errorf("%s %s sent %d of %d; want the ramp's %d", d.Day, n.Number, n.Sent, n.Cap, want)
			}
		}
	}
}

func fmtDays(r *Result) string { return fmt.Sprint(r.Days) }

func total(d Day) int {
	n := 0
	for _, x := range d.Numbers {
		n += x.Sent
	}
	return n
}

func TestWarnings(t *testing.T) {
	sc := defaultScenario(t, 10)
	r := &Result{Unsent: 3}
	got := strings.Join(Warnings(sc, r, Context{InboxPortfolio: "pf1", TemplateAge: 36 * time.Hour,
		LeftOut: map[string]int{"no_marketing": 2}}), "\n")
	for _, want := range []string{"shares portfolio pf1 with the inbox", "the template is 1.5 days old",
		"2 recipients left out: Meta does not deliver marketing", "3 contacts would not be sent"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if w := Warnings(sc, &Result{}, Context{InboxPortfolio: "other", TemplateAge: 30 * 24 * time.Hour}); len(w) != 0 {
		t.Errorf("warnings for a clean plan: %v", w)
	}
}
