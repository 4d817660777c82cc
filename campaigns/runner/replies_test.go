package runner

import (
	"context"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// TestRepliedAndCost sends a campaign, then: delivered statuses with a pricing block cost
// the rate table's price of the contact's market once; a contact who writes within the
// reply window (on any number), or on a pool number at any time, counts as replied once;
// one who writes after the window on another number, or was never sent to, does not.
func TestRepliedAndCost(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 4)
	snd := &fakeSender{}
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	rates := &outcome.Rates{Currency: "USD", ByCategory: map[string]map[string]outcome.Micro{
		"marketing": {"SA": 45_600, "*": 60_000},
	}}
	run, err := New(Options{Control: ctl, Sender: snd, Clock: clk, Rates: rates, ReplyWindow: 48 * time.Hour,
		Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := run.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if len(snd.sends) != 4 {
		t.Fatalf("%d contacts sent to; want 4", len(snd.sends))
	}
	ids := []chat.ContactID{"966500000000", "966500000001", "966500000002", "966500000003"}
	priced := &Pricing{Category: "marketing", Billable: true, PricingModel: "PMP", Type: "regular"}
	for _, id := range ids[:2] {
		m := snd.sends[id][0]
		for _, lvl := range []int{2, 2, 3} { // a repeated delivered status costs nothing more
			if _, err := run.ApplyStatus(ctx, Status{CallbackData: m.CallbackData, Level: lvl, Number: m.From, At: clk.Now(), Pricing: priced}); err != nil {
				t.Fatal(err)
			}
		}
	}
	sentAt := clk.Now()
	other := chat.NumberID("1001") // the inbox: not a pool number
	for _, in := range []struct {
		id     chat.ContactID
		number chat.NumberID
		at     time.Duration
	}{
		{ids[0], other, time.Hour},            // counts
		{ids[0], other, 2 * time.Hour},        // the same contact again: once
		{ids[1], other, 72 * time.Hour},       // after the window, not on a pool number
		{ids[2], "1003", 30 * 24 * time.Hour}, // on a pool number: any time
		{"966599999999", other, time.Hour},    // never sent to
	} {
		if err := run.Inbound(ctx, in.id, in.number, sentAt.Add(in.at)); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := ctl.Status(ctx, "offer")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Replied != 2 {
		t.Errorf("replied %d; want 2", rep.Total.Replied)
	}
	if rep.Cost != "0.0912" || rep.Currency != "USD" {
		t.Errorf("cost %s %s; want 0.0912 USD (two delivered marketing messages to SA at 0.0456)", rep.Cost, rep.Currency)
	}
	aud, _ := ctl.Audience("offer")
	p, ok, err := aud.PricingOf(ctx, ids[0])
	if err != nil || !ok || p.Category != "marketing" || !p.Billable || p.PricingModel != "PMP" || p.Attempt != 1 {
		t.Errorf("pricing kept: %+v, %v, %v", p, ok, err)
	}
}

// TestRepliesPicksTheCampaignOfANumber: the started campaign whose pool holds the number
// names the replies; a running one wins over a paused one, then the first by name; a
// cancelled one and a number in no pool name none.
func TestRepliesPicksTheCampaignOfANumber(t *testing.T) {
	run := &Runner{known: map[string]*known{
		"b_running": {state: StateRunning, policy: "hold", flow: "f", pool: map[chat.NumberID]bool{"1": true, "2": true}},
		"c_running": {state: StateRunning, policy: "link", pool: map[chat.NumberID]bool{"1": true}},
		"a_paused":  {state: StatePaused, policy: "bridge", pool: map[chat.NumberID]bool{"1": true, "3": true}},
		"a_done":    {state: StateDone, policy: "link", pool: map[chat.NumberID]bool{"3": true}},
		"cancelled": {state: StateCancelled, policy: "hold", pool: map[chat.NumberID]bool{"4": true}},
	}}
	for _, tc := range []struct {
		number        chat.NumberID
		campaign, pol string
		ok            bool
	}{
		{"1", "b_running", "hold", true},
		{"2", "b_running", "hold", true},
		{"3", "a_done", "link", true},
		{"4", "", "", false},
		{"5", "", "", false},
	} {
		for range 5 { // map order must not matter
			name, pol, _, ok := run.Replies(tc.number)
			if name != tc.campaign || pol != tc.pol || ok != tc.ok {
				t.Fatalf("Replies(%s) = %s, %s, %v; want %s, %s, %v", tc.number, name, pol, ok, tc.campaign, tc.pol, tc.ok)
			}
		}
	}
}
