package runner

import (
	"context"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

type windowsOf map[chat.ContactID]map[chat.NumberID]time.Time

func (w windowsOf) States(_ context.Context, ids []chat.ContactID) ([]ContactState, error) {
	out := make([]ContactState, len(ids))
	for i, id := range ids {
		out[i] = ContactState{Windows: w[id], OptedOut: id == "966500000005"}
	}
	return out, nil
}

// TestOpenWindowsFirst: the opt-out comes with the page's profiles, and contacts who wrote to a pool number in the last 24 hours go first, from that number,
// and a window older than 24 hours or on a number outside the pool changes nothing.
func TestOpenWindowsFirst(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 10)
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	now := clk.Now()
	wins := windowsOf{
		"966500000007": {"1003": now.Add(-time.Hour)},      // open on 1003
		"966500000008": {"1002": now.Add(-23 * time.Hour)}, // open on 1002
		"966500000009": {"1002": now.Add(-25 * time.Hour)}, // closed
		"966500000006": {"1001": now.Add(-time.Hour)},      // open, but not on a pool number
	}
	snd := &fakeSender{}
	// The per-contact OptOuts would say nobody opted out: Profiles answers instead.
	run, err := New(Options{Control: ctl, Sender: snd, Clock: clk, Profiles: wins, OptOuts: optOuts{},
		Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var order []chat.ContactID
	snd.failIf = func(m chat.Outbound) error {
		order = append(order, m.To)
		return nil
	}
	if err := run.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if len(order) != 9 || len(snd.sends["966500000005"]) != 0 {
		t.Fatalf("%d sends; want 9 (10 less the one Profiles says opted out)", len(order))
	}
	if order[0] != "966500000007" || order[1] != "966500000008" {
		t.Errorf("first sends %v; want the two open windows first", order[:2])
	}
	if from := snd.sends["966500000007"][0].From; from != "1003" {
		t.Errorf("the contact with a window on 1003 got its send from %s", from)
	}
	if from := snd.sends["966500000008"][0].From; from != "1002" {
		t.Errorf("the contact with a window on 1002 got its send from %s", from)
	}
}
