package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/internal/redistest"
)

const warmCampaign = `name: warm
template: {name: offer, language: ar}
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_UNLIMITED, ramp: [5, 10, 20, 40]}
hours: ""
canary: {share: 0%}
pacing: {spread_over: 1m}
`

// startFile imports n contacts (05000000000, 05000000001, ...) for the campaign text.
func startFile(t *testing.T, text string, n int) *Control {
	t.Helper()
	srv := redistest.Start(t)
	if srv == nil {
		t.Skip("no redis-server")
	}
	ctl := NewControl(srv.Client(t), "t")
	camp, diags := campaignfile.Parse("c.campaign.yaml", []byte(text))
	if diags != nil {
		t.Fatal(diags)
	}
	var csv strings.Builder
	csv.WriteString("phone,name\n")
	for i := range n {
		fmt.Fprintf(&csv, "05%08d,n%d\n", i, i)
	}
	if _, err := Import(context.Background(), ctl, camp, []byte(text), strings.NewReader(csv.String()), nil, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	return ctl
}

// TestWarmupAdvancesDayByDay moves the clock over five days: each clean day lifts the
// number one step of its ramp (5, 10, 20), a day with 25% quality failures (131026)
// takes it back a step, and two runners (two replicas) judge each day once between them.
func TestWarmupAdvancesDayByDay(t *testing.T) {
	ctx := context.Background()
	ctl := startFile(t, warmCampaign, 500)
	clk := clock.NewManual(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	// On day 3, five of the 20 sends fail with a quality error.
	failed := 0
	snd := &fakeSender{failIf: func(chat.Outbound) error {
		if clk.Now().Day() == 3 && failed < 5 {
			failed++
			return metaError(131026)
		}
		return nil
	}}
	nums := numbersOf{"1002": {Portfolio: "pf", Usable: true}}
	var runs []*Runner
	for _, owner := range []string{"a", "b"} {
		run, err := New(Options{Control: ctl, Sender: snd, Clock: clk, Numbers: nums, Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, run)
	}
	state := pacing.NewRedisState(ctl.Client(), ctl.Prefix())
	wantSends := []int{5, 10, 20, 10, 20} // day 4 after the dirty day 3: back to 10
	wantStep := []int{0, 1, 2, 1, 2}
	total := 0
	for day, want := range wantSends {
		for i := range 120 { // two hours of passes, a minute apart, alternating replicas
			if err := runs[i%2].Pass(ctx); err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Minute)
		}
		sent := 0
		for _, msgs := range snd.sends {
			sent += len(msgs)
		}
		if got := sent - total; got != want {
			t.Errorf("day %d: %d sends; want %d", day+1, got, want)
		}
		total = sent
		ws, err := state.Load(ctx, []chat.NumberID{"1002"})
		if err != nil {
			t.Fatal(err)
		}
		if ws["1002"].Step != wantStep[day] {
			t.Errorf("day %d: warm-up %+v; want step %d", day+1, ws["1002"], wantStep[day])
		}
		clk.Advance(22 * time.Hour) // the next morning
	}
}

// TestConfigRampPerNumber: a number's own ramp from the serve configuration caps its first
// day when the campaign file gives it none; the file's own ramp wins over it.
func TestConfigRampPerNumber(t *testing.T) {
	ctx := context.Background()
	const text = `name: cfgramp
template: {name: offer, language: ar}
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_UNLIMITED}
  - {id: "1003", tier: TIER_UNLIMITED, ramp: [4]}
hours: ""
canary: {share: 0%}
pacing: {spread_over: 1m}
`
	ctl := startFile(t, text, 100)
	clk := clock.NewManual(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	snd := &fakeSender{}
	run, err := New(Options{Control: ctl, Sender: snd, Clock: clk,
		Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true, Ramp: []int{3, 6}}, "1003": {Portfolio: "pf", Usable: true, Ramp: []int{9}}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 60 {
		if err := run.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	from := map[chat.NumberID]int{}
	for _, msgs := range snd.sends {
		from[msgs[0].From]++
	}
	if from["1002"] != 3 || from["1003"] != 4 {
		t.Errorf("first day's sends by number %v; want 1002: 3 (the configuration's ramp), 1003: 4 (the file's)", from)
	}
}
