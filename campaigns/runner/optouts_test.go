package runner

import (
	"context"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// An opt-out counts against the campaign that reached the contact, once per contact: on
// a pool number whenever it comes, on another number only within the reply window;
// never for a contact the campaign did not send to.
func TestOptOutCountsAgainstTheCampaign(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 3)
	snd := &fakeSender{}
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	run, err := New(Options{Control: ctl, Sender: snd, Clock: clk, ReplyWindow: 48 * time.Hour, OptOuts: optOuts{"966500000002": true},
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
	sent := clk.Now()
	for _, o := range []struct {
		id     chat.ContactID
		number chat.NumberID
		after  time.Duration
	}{
		{"966500000000", "1001", 72 * time.Hour}, // the inbox, past the window: not this campaign's
		{"966500000000", "1002", 72 * time.Hour}, // a pool number: counts whenever
		{"966500000000", "1002", 73 * time.Hour}, // the same contact again: once
		{"966500000001", "1001", time.Hour},      // the inbox, within the window: counts
		{"966500000002", "1002", time.Hour},      // left out (had opted out): never sent
		{"966599999999", "1002", time.Hour},      // not in the audience
	} {
		if err := run.OptOut(ctx, o.id, o.number, sent.Add(o.after)); err != nil {
			t.Fatal(err)
		}
	}
	aud, err := ctl.Audience("offer")
	if err != nil {
		t.Fatal(err)
	}
	total, _, err := run.counters(ctx, aud)
	if err != nil {
		t.Fatal(err)
	}
	if total.OptedOutAfterSend != 2 || total.OptedOut != 1 {
		t.Fatalf("opted out after the send %d, left out %d; want 2 and 1", total.OptedOutAfterSend, total.OptedOut)
	}
}
