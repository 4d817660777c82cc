package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
)

// TestPrintReport shows everything a campaign's status holds: the state and why, the
// totals with replied and the cost in its currency, and per number its counters, cost and
// warm-up step.
func TestPrintReport(t *testing.T) {
	rep := runner.Report{
		Record:   runner.Record{Name: "ramadan_offer", State: runner.StatePaused, Reason: "Meta changed the category of template ramadan_offer to marketing", Currency: "USD"},
		Audience: 10, Queued: 4,
		Total: outcome.Counters{Sent: 6, Delivered: 5, Read: 2, Replied: 2, Cost: 228_000, Failed: map[int]int64{131049: 1}},
		Numbers: map[chat.NumberID]outcome.Counters{
			"1002": {Sent: 4, Delivered: 3, Replied: 2, Cost: 136_800},
			"1003": {Sent: 2, Delivered: 2, Cost: 91_200},
		},
		Cost:    "0.228",
		Warmups: map[chat.NumberID]pacing.Warmup{"1002": {Step: 2, Day: "2026-03-01"}, "1003": {}},
	}
	var out bytes.Buffer
	printReport(Streams{Out: &out}, rep, true)
	got := out.String()
	for _, want := range []string{
		"ramadan_offer: paused (Meta changed the category of template ramadan_offer to marketing)",
		"60%",
		"replied 2",
		"failed by code: 131049×1",
		"cost 0.228 USD",
		"number 1002: sent 4  delivered 3  read 0  replied 2  failed 0  cost 0.1368  warm-up step 3 (judged 2026-03-01)",
		"number 1003: sent 2  delivered 2  read 0  replied 0  failed 0  cost 0.0912  warm-up step 1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
}
