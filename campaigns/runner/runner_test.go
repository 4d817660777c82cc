package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/internal/redistest"
)

// fakeSender records every send and answers with a wamid, or Meta's error for the
// contacts listed in fail.
type fakeSender struct {
	mu    sync.Mutex
	sends map[chat.ContactID][]chat.Outbound
	fail  map[chat.ContactID]error
	// failIf, when set, may fail any send.
	failIf func(chat.Outbound) error
}

func (f *fakeSender) Attempt(_ context.Context, msg chat.Outbound) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sends == nil {
		f.sends = map[chat.ContactID][]chat.Outbound{}
	}
	f.sends[msg.To] = append(f.sends[msg.To], msg)
	if f.failIf != nil {
		if err := f.failIf(msg); err != nil {
			return "", err
		}
	}
	if err := f.fail[msg.To]; err != nil {
		delete(f.fail, msg.To) // fails once
		return "", err
	}
	return fmt.Sprintf("wamid.%s.%d", msg.To, len(f.sends[msg.To])), nil
}

type optOuts map[chat.ContactID]bool

func (o optOuts) OptedOut(_ context.Context, id chat.ContactID) (bool, error) { return o[id], nil }

type numbersOf map[chat.NumberID]NumberInfo

func (n numbersOf) Number(id chat.NumberID) (NumberInfo, bool) { i, ok := n[id]; return i, ok }

const testCampaign = `name: offer
template:
  name: offer
  language: '{{ contact.attrs.lang == "en" ? "en" : "ar" }}'
  params: ["{{ contact.name }}"]
audience: {csv: a.csv, default_country: SA}
numbers:
  - {id: "1002", tier: TIER_UNLIMITED, ramp: [0]}
  - {id: "1003", tier: TIER_UNLIMITED, ramp: [0]}
hours: ""
canary: {share: 0%}
`

// start imports an audience of n contacts and records the campaign as running.
func start(t *testing.T, n int) (*Control, *campaignfile.Campaign) { return startTB(t, n) }

func startTB(t testing.TB, n int) (*Control, *campaignfile.Campaign) {
	t.Helper()
	srv := redistest.Start(t)
	if srv == nil {
		t.Skip("no redis-server")
	}
	ctl := NewControl(srv.Client(t), "t")
	camp, diags := campaignfile.Parse("offer.campaign.yaml", []byte(testCampaign))
	if diags != nil {
		t.Fatal(diags)
	}
	var csv strings.Builder
	csv.WriteString("phone,name,lang\n")
	for i := range n {
		fmt.Fprintf(&csv, "05%08d,n%d,%s\n", i, i, []string{"ar", "en"}[i%2])
	}
	if _, err := Import(context.Background(), ctl, camp, []byte(testCampaign), strings.NewReader(csv.String()), nil, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	return ctl, camp
}

// TestRunnerSendsEveryoneOnce runs passes until the campaign is done: every contact gets
// one template, in their language, from a pool number, with the attempt's callback data;
// an opted-out contact gets none; a fatigued one (131049) waits 24 h on the ladder and
// then gets one; status webhooks raise the counters once.
func TestRunnerSendsEveryoneOnce(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 450)
	fatigued := chat.ContactID("966500000007")
	snd := &fakeSender{fail: map[chat.ContactID]error{fatigued: metaError(131049)}}
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	run, err := New(Options{Control: ctl, Sender: snd, OptOuts: optOuts{"966500000003": true}, Clock: clk,
		Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if err := run.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if len(snd.sends[fatigued]) != 1 {
		t.Fatalf("the fatigued contact got %d sends before its retry; want 1", len(snd.sends[fatigued]))
	}
	clk.Advance(25 * time.Hour)
	for range 5 {
		if err := run.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if len(snd.sends) != 449 {
		t.Errorf("%d contacts got a send; want 449 (450 less one opted out)", len(snd.sends))
	}
	for id, msgs := range snd.sends {
		want := 1
		if id == fatigued {
			want = 2
		}
		if len(msgs) != want {
			t.Errorf("contact %s got %d sends; want %d", id, len(msgs), want)
		}
		a, ok := audience.ParseCallbackData(msgs[0].CallbackData)
		if !ok || a.Campaign != "offer" || a.Contact != id {
			t.Errorf("callback data %q", msgs[0].CallbackData)
		}
	}
	if m := snd.sends["966500000001"][0]; m.Template.Language != "en" || m.Template.Params[0] != "n1" {
		t.Errorf("template %+v", m.Template)
	}
	// A delivered and a read status, the read one twice.
	wamid := "wamid.966500000002.1"
	cd := snd.sends["966500000002"][0].CallbackData
	for _, lvl := range []int{2, 3, 3} {
		if _, err := run.ApplyStatus(ctx, Status{CallbackData: cd, Level: lvl, WAMID: wamid, Number: snd.sends["966500000002"][0].From}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := ctl.Status(ctx, "offer")
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != StateDone || rep.Total.Sent != 449 || rep.Total.OptedOut != 1 || rep.Total.Failed[131049] != 1 ||
		rep.Total.Delivered != 1 || rep.Total.Read != 1 || rep.Queued != 0 || len(rep.Numbers) == 0 {
		t.Errorf("report: state %s, queued %d, %+v", rep.State, rep.Queued, rep.Total)
	}
}

func metaError(code int) error {
	return &whatsapp.APIError{Code: code, HTTPStatus: 400, Message: "test"}
}

// TestPauseTemplate pauses the running campaigns of a template Meta paused, and only
// those.
func TestPauseTemplate(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 5)
	run, err := New(Options{Control: ctl, Sender: &fakeSender{}, Numbers: numbersOf{}})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := run.PauseTemplate(ctx, "another", "x"); err != nil || n != 0 {
		t.Fatalf("PauseTemplate(another) = %d, %v", n, err)
	}
	if n, err := run.PauseTemplate(ctx, "offer", "Meta paused the template offer (ar)"); err != nil || n != 1 {
		t.Fatalf("PauseTemplate(offer) = %d, %v", n, err)
	}
	rec, err := ctl.Get(ctx, "offer")
	if err != nil || rec.State != StatePaused || rec.Reason != "Meta paused the template offer (ar)" {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

// TestRunnerFollowsANumberStoppedMidCampaign: the health policy stops a number while the
// campaign runs; from the next pass on, only the other number sends, and nobody gets
// two messages (its audience moves, it is not sent again).
func TestRunnerFollowsANumberStoppedMidCampaign(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 600)
	snd := &fakeSender{}
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	nums := numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}
	run, err := New(Options{Control: ctl, Sender: snd, Clock: clk, Numbers: nums})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	before := map[chat.NumberID]int{}
	for _, msgs := range snd.sends {
		before[msgs[0].From]++
	}
	if before["1002"] == 0 || len(snd.sends) >= 600 {
		t.Fatalf("first pass sent %v; want some from 1002, not all", before)
	}
	nums["1002"] = NumberInfo{Portfolio: "pf", Usable: false}
	for range 10 {
		if err := run.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	after := map[chat.NumberID]int{}
	for id, msgs := range snd.sends {
		if len(msgs) != 1 {
			t.Errorf("contact %s got %d sends", id, len(msgs))
		}
		after[msgs[0].From]++
	}
	if after["1002"] != before["1002"] || after["1003"] == 0 || len(snd.sends) != 600 {
		t.Errorf("number 1002 sent %d after it was stopped (had %d), 1003 %d; %d contacts reached of 600", after["1002"]-before["1002"], before["1002"], after["1003"], len(snd.sends))
	}
}

// TestCategoryChanged pauses a running campaign when Meta moves its template to another
// category than the one it planned, and says why; the same category changes nothing.
func TestCategoryChanged(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 5) // a marketing campaign of template offer
	run, err := New(Options{Control: ctl, Sender: &fakeSender{}, Numbers: numbersOf{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, category string
		want           int
	}{{"offer", "MARKETING", 0}, {"another", "UTILITY", 0}, {"offer", "UTILITY", 1}} {
		if n, err := run.CategoryChanged(ctx, c.name, c.category); err != nil || n != c.want {
			t.Fatalf("CategoryChanged(%s, %s) = %d, %v; want %d", c.name, c.category, n, err, c.want)
		}
	}
	rec, err := ctl.Get(ctx, "offer")
	if err != nil || rec.State != StatePaused || !strings.Contains(rec.Reason, "changed the category of template offer to utility; the campaign planned marketing") {
		t.Fatalf("record %+v, %v", rec, err)
	}
}

// TestCampaignWithUnknownNumberIsPaused: a campaign naming a number the serve
// configuration lacks cannot run in this deployment; the pass pauses it with the reason
// (shown by status) instead of failing every second while the status reads running.
func TestCampaignWithUnknownNumberIsPaused(t *testing.T) {
	ctx := context.Background()
	ctl, _ := start(t, 5)
	snd := &fakeSender{}
	run, err := New(Options{Control: ctl, Sender: snd, Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Pass(ctx); err != nil {
		t.Fatalf("pass: %v", err)
	}
	rec, err := ctl.Get(ctx, "offer")
	if err != nil {
		t.Fatal(err)
	}
	if rec.State != StatePaused || !strings.Contains(rec.Reason, "number 1003 is not in the serve configuration's numbers") {
		t.Fatalf("record %s (%s); want paused, naming number 1003", rec.State, rec.Reason)
	}
	if len(snd.sends) != 0 {
		t.Errorf("%d contacts were sent to", len(snd.sends))
	}
}
