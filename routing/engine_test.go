package routing

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/numbers"
)

const orderFlow = `flow: order
triggers:
  - keywords: [order]
steps:
  - ask: "Your name?"
    save: name
  - ask: "Your order number?"
    save: order_no
  - say: "{{ vars.name }}: order {{ vars.order_no }} ships today"
`

// The end-to-end shape of issue 4's acceptance test, on the real engine: a campaign
// number is banned by an account_update in the middle of a conversation; the session and
// history are intact and the conversation goes on through the inbox number.
func TestEngineBannedMidConversation(t *testing.T) {
	ctx := context.Background()
	set, diags := flows.ParseFiles(map[string][]byte{"order.yaml": []byte(orderFlow)})
	if diags.HasErrors() {
		t.Fatalf("flow: %v", diags)
	}
	clk := clock.NewManual(now)
	reg, err := numbers.New(testNumbers(), &numbers.MemStates{}, numbers.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(reg, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	store, box := &enginetest.MemStore{}, &enginetest.Recorder{}
	eng := engine.New(set, store, box, engine.Options{Clock: clk, Router: rt})
	seq := 0
	write := func(number chat.NumberID, text string) []chat.Outbound {
		t.Helper()
		seq++
		in := chat.Inbound{ID: "wamid." + string(rune('a'+seq)), Contact: "966500000009", Number: number, Kind: chat.KindText, Text: text, At: clk.Now()}
		if err := eng.Receive(ctx, nil, in); err != nil {
			t.Fatal(err)
		}
		return box.Take()
	}
	one := func(what string, got []chat.Outbound) chat.Outbound {
		t.Helper()
		if len(got) != 1 {
			t.Fatalf("%s: sent %d messages, want 1: %+v", what, len(got), got)
		}
		return got[0]
	}

	m := one("hold campaign", write(holdNum, "order"))
	if m.From != holdNum || m.Text != "Your name?" {
		t.Fatalf("first reply = %+v", m)
	}
	clk.Advance(time.Minute)
	if _, err := reg.Apply(ctx, &numbers.AccountEvent{WABA: "wc",
		At: clk.Now(), Event: "DISABLED_UPDATE", BanState: "DISABLE"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	m = one("after the ban", write(holdNum, "Huda"))
	if m.From != inboxID || m.Kind != chat.KindTemplate || m.Template.Name != "follow_up" {
		t.Fatalf("reply after the ban = %+v", m)
	}
	st, err := eng.State(ctx, "966500000009")
	if err != nil {
		t.Fatal(err)
	}
	if st.Session.Flow != "order" || st.Session.Vars["name"] != "Huda" || st.Session.Await == nil {
		t.Fatalf("session after the ban = %+v", st.Session)
	}
	clk.Advance(5 * time.Minute)
	m = one("on the inbox", write(inboxID, "784512"))
	if m.From != inboxID || m.Text != "Huda: order 784512 ships today" {
		t.Fatalf("reply on the inbox = %+v", m)
	}
	// One history across both numbers, nothing silently dropped.
	var kinds []string
	for _, ev := range store.History("966500000009") {
		k := string(ev.Kind)
		if ev.Outbound != nil {
			k += ":" + string(ev.Outbound.From) + ":" + string(ev.Outbound.Kind)
		}
		kinds = append(kinds, k)
	}
	want := []string{
		"inbound", "outbound:2003:text",
		"inbound", "refused:2003:text", "outbound:1001:template",
		"number", "inbound", "outbound:1001:text",
	}
	if len(kinds) != len(want) {
		t.Fatalf("history = %q\nwant      %q", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("history = %q\nwant      %q", kinds, want)
		}
	}
}

const trackFlow = `flow: track
triggers:
  - keywords: [track]
steps:
  - say: "Tracking started"
  - wait: 25h
  - say: "Your parcel arrived"
`

// engineRig is the real engine over the real registry and router, on a manual clock.
type engineRig struct {
	t     *testing.T
	clk   *clock.Manual
	reg   *numbers.Registry
	eng   *engine.Engine
	store *enginetest.MemStore
	box   *enginetest.Recorder
	seq   int
}

func newEngineRig(t *testing.T, opts Options, flowSrc ...string) *engineRig {
	t.Helper()
	files := map[string][]byte{}
	for i, src := range flowSrc {
		files[fmt.Sprintf("f%d.yaml", i)] = []byte(src)
	}
	set, diags := flows.ParseFiles(files)
	if diags.HasErrors() {
		t.Fatalf("flows: %v", diags)
	}
	clk := clock.NewManual(now)
	reg, err := numbers.New(testNumbers(), &numbers.MemStates{}, numbers.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	store, box := &enginetest.MemStore{}, &enginetest.Recorder{}
	return &engineRig{t: t, clk: clk, reg: reg, store: store, box: box,
		eng: engine.New(set, store, box, engine.Options{Clock: clk, Router: rt})}
}

// write delivers a text from the contact to number now and returns what was sent.
func (g *engineRig) write(contact chat.ContactID, number chat.NumberID, text string) []chat.Outbound {
	g.t.Helper()
	g.seq++
	in := chat.Inbound{ID: fmt.Sprintf("wamid.%d", g.seq), Contact: contact, Number: number, Kind: chat.KindText, Text: text, At: g.clk.Now()}
	if err := g.eng.Receive(context.Background(), nil, in); err != nil {
		g.t.Fatal(err)
	}
	return g.box.Take()
}

// due fires the due timers and returns what was sent.
func (g *engineRig) due() []chat.Outbound {
	g.t.Helper()
	if _, err := g.eng.RunDue(context.Background()); err != nil {
		g.t.Fatal(err)
	}
	return g.box.Take()
}

// history renders a contact's history as kind[:from:outbound kind] entries.
func (g *engineRig) history(contact chat.ContactID) []string {
	var out []string
	for _, ev := range g.store.History(contact) {
		k := string(ev.Kind)
		if ev.Outbound != nil {
			k += ":" + string(ev.Outbound.From) + ":" + string(ev.Outbound.Kind)
		}
		out = append(out, k)
	}
	return out
}

func sentOne(t *testing.T, what string, got []chat.Outbound) chat.Outbound {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%s: sent %d messages, want 1: %+v", what, len(got), got)
	}
	return got[0]
}

func sameList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s =\n  %q\nwant\n  %q", what, got, want)
	}
}

// Issue 8 item 4: a number whose account is restricted from starting conversations
// (RESTRICTED_BIZ_INITIATED_MESSAGING) still answers inside the window, but a template
// outside it never leaves from it; when the restriction's expiration passes, by the clock
// alone, templates go out again.
func TestEngineRepliesOnlyNumber(t *testing.T) {
	g := newEngineRig(t, testOptions(), trackFlow)
	ctx := context.Background()
	week := now.Add(7 * 24 * time.Hour)
	for _, id := range []chat.NumberID{inboxID, holdNum} {
		if _, err := g.reg.Apply(ctx, &numbers.AccountEvent{At: now, Event: "ACCOUNT_RESTRICTION", PhoneNumber: string(id),
			Restrictions: []numbers.Restriction{{Type: numbers.RestrictedInitiation, Expiration: week}}}); err != nil {
			t.Fatal(err)
		}
	}
	const c = chat.ContactID("966500000010")
	m := sentOne(t, "in-window reply", g.write(c, holdNum, "track"))
	if m.From != holdNum || m.Kind != chat.KindText || m.Text != "Tracking started" {
		t.Fatalf("in-window reply = %+v, want text from the replies-only number %s", m, holdNum)
	}
	// 25 hours on the window is closed: the follow-up would need the fallback template,
	// which no replies-only number may send.
	g.clk.Advance(25 * time.Hour)
	if got := g.due(); len(got) != 0 {
		t.Fatalf("out-of-window follow-up sent %+v; want it refused", got)
	}
	var refused []chat.Event
	for _, ev := range g.store.History(c) {
		if ev.Kind == chat.EventRefused {
			refused = append(refused, ev)
		}
	}
	if len(refused) != 1 || refused[0].Detail != ReasonNoInitiation {
		t.Fatalf("refusals = %+v, want one saying %q", refused, ReasonNoInitiation)
	}

	// After the expiration the numbers may start conversations again.
	g.clk.Set(week.Add(time.Hour))
	m = sentOne(t, "after the restriction", g.write(c, holdNum, "track"))
	if m.From != holdNum || m.Text != "Tracking started" {
		t.Fatalf("reply after the restriction = %+v", m)
	}
	g.clk.Advance(25 * time.Hour)
	m = sentOne(t, "out-of-window follow-up after the restriction", g.due())
	if m.From != inboxID || m.Kind != chat.KindTemplate || m.Template.Name != fallbackTpl.Name {
		t.Fatalf("follow-up after the restriction = %+v, want the fallback template from the inbox", m)
	}
	sameList(t, "history", g.history(c), []string{
		"inbound", "outbound:2003:text", "refused:2003:text",
		// the free text the fallback template replaced is recorded as refused
		"inbound", "outbound:2003:text", "refused:2003:text", "outbound:1001:template",
	})
}

// Issue 8 item 5: under the link policy a customer who keeps writing to the campaign
// number gets the link again once per RedirectEvery, never silence, and every message
// stays in the one history.
func TestEngineRedirectAgain(t *testing.T) {
	g := newEngineRig(t, testOptions(), orderFlow)
	const c = chat.ContactID("966500000011")
	m := sentOne(t, "first message", g.write(c, linkNum, "order"))
	if m.From != linkNum || m.Text != wantLink {
		t.Fatalf("first answer = %+v, want the link from %s", m, linkNum)
	}
	g.clk.Advance(time.Hour)
	if got := g.write(c, linkNum, "Huda"); len(got) != 0 {
		t.Fatalf("second message within the period answered %+v; want no redirect", got)
	}
	g.clk.Advance(DefaultRedirectEvery - time.Hour)
	m = sentOne(t, "after the period", g.write(c, linkNum, "784512"))
	if m.From != linkNum || m.Text != wantLink {
		t.Fatalf("answer after the period = %+v, want the link again", m)
	}
	g.clk.Advance(time.Minute)
	if got := g.write(c, linkNum, "hello?"); len(got) != 0 {
		t.Fatalf("message right after the reminder answered %+v", got)
	}
	// Each reply the link stood in for is recorded as refused beside it.
	sameList(t, "history", g.history(c), []string{
		"inbound", "refused:2001:text", "outbound:2001:text",
		"inbound", "refused:2001:text",
		"inbound", "refused:2001:text", "outbound:2001:text",
		"inbound",
	})
	// On the inbox the bot answers as usual.
	g.clk.Advance(time.Minute)
	m = sentOne(t, "on the inbox", g.write(c, inboxID, "order"))
	if m.From != inboxID || m.Text != "Your name?" {
		t.Fatalf("reply on the inbox = %+v", m)
	}
}

// Issue 8 item 4: a call from the customer opens the number's 24-hour window as a message
// does, appears in the history, and starts nothing; a call the business placed does not
// open it, and a call delivered twice is recorded once.
func TestEngineCallOpensWindow(t *testing.T) {
	g := newEngineRig(t, testOptions(), trackFlow)
	ctx := context.Background()
	call := func(contact chat.ContactID, direction string) []chat.Outbound {
		t.Helper()
		in := chat.Inbound{ID: "call:wacid." + string(contact) + ":terminate", Contact: contact, Number: inboxID, Kind: chat.KindCall, At: g.clk.Now(),
			Call: &chat.Call{ID: "wacid." + string(contact), Event: chat.CallTerminate, Direction: direction, Status: "COMPLETED", Duration: 60}}
		for range 2 { // Meta delivers webhooks at least once
			if err := g.eng.Receive(ctx, nil, in); err != nil {
				t.Fatal(err)
			}
		}
		return g.box.Take()
	}
	const caller, callee = chat.ContactID("966500000012"), chat.ContactID("966500000013")
	for _, c := range []chat.ContactID{caller, callee} {
		sentOne(t, "track", g.write(c, inboxID, "track"))
	}
	g.clk.Advance(24*time.Hour + 30*time.Minute) // the window of "track" is closed
	if got := call(caller, chat.CallUserInitiated); len(got) != 0 {
		t.Fatalf("a call was answered with %+v; a call starts nothing", got)
	}
	if got := call(callee, chat.CallBusinessInitiated); len(got) != 0 {
		t.Fatalf("a business call was answered with %+v", got)
	}
	g.clk.Advance(30 * time.Minute)
	byContact := map[chat.ContactID]chat.Outbound{}
	for _, m := range g.due() {
		byContact[m.To] = m
	}
	if m := byContact[caller]; m.From != inboxID || m.Kind != chat.KindText || m.Text != "Your parcel arrived" {
		t.Errorf("follow-up to the caller = %+v, want free text: the call opened the window", m)
	}
	if m := byContact[callee]; m.Kind != chat.KindTemplate {
		t.Errorf("follow-up to the contact the business called = %+v, want the fallback template", m)
	}
	sameList(t, "caller's history", g.history(caller), []string{"inbound", "outbound:1001:text", "call", "outbound:1001:text"})
	for _, ev := range g.store.History(caller) {
		if ev.Kind == chat.EventCall && (ev.Inbound == nil || ev.Inbound.Call == nil || ev.Inbound.Call.Duration != 60 || ev.Detail != "call from the customer: ended after 60 s") {
			t.Errorf("call event = %+v", ev)
		}
	}
	st, err := g.eng.State(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	if st.Session.Flow != "" && st.Session.Flow != "track" {
		t.Errorf("session after the call = %+v", st.Session)
	}
}

const missedCallFlow = `flow: missed
triggers:
  - call: missed
steps:
  - say: "Sorry we missed your call. How can we help? / عذرًا، فاتنا اتصالك. كيف نساعدك؟"
`

// A flow that asks for it with a call trigger answers a missed call from the customer,
// in writing, inside the window the call opened; an answered call, a ringing one, a call
// the business placed and a call while a question waits start nothing.
func TestEngineCallTrigger(t *testing.T) {
	g := newEngineRig(t, testOptions(), missedCallFlow, orderFlow)
	ctx := context.Background()
	seq := 0
	call := func(contact chat.ContactID, event, direction, status string) []chat.Outbound {
		t.Helper()
		seq++
		in := chat.Inbound{ID: fmt.Sprintf("call:wacid.%d:%s", seq, event), Contact: contact, Number: inboxID, Kind: chat.KindCall, At: g.clk.Now(),
			Call: &chat.Call{ID: fmt.Sprintf("wacid.%d", seq), Event: event, Direction: direction, Status: status}}
		if err := g.eng.Receive(ctx, nil, in); err != nil {
			t.Fatal(err)
		}
		return g.box.Take()
	}
	const c = chat.ContactID("966500000014")
	if got := call(c, chat.CallConnect, chat.CallUserInitiated, ""); len(got) != 0 {
		t.Fatalf("a ringing call was answered: %+v", got)
	}
	m := sentOne(t, "missed call", call(c, chat.CallTerminate, chat.CallUserInitiated, "FAILED"))
	if m.From != inboxID || m.Kind != chat.KindText || !strings.HasPrefix(m.Text, "Sorry we missed your call") || m.ReplyTo != "" {
		t.Fatalf("answer to the missed call = %+v, want free text from the inbox, quoting nothing", m)
	}
	for _, tt := range []struct{ name, direction, status string }{
		{"answered call", chat.CallUserInitiated, "COMPLETED"},
		{"the business's call", chat.CallBusinessInitiated, "FAILED"},
	} {
		if got := call(c, chat.CallTerminate, tt.direction, tt.status); len(got) != 0 {
			t.Errorf("%s was answered: %+v", tt.name, got)
		}
	}
	// While the order flow waits for the name, a missed call leaves the question alone.
	sentOne(t, "order", g.write(c, inboxID, "order"))
	if got := call(c, chat.CallTerminate, chat.CallUserInitiated, "FAILED"); len(got) != 0 {
		t.Fatalf("a missed call during a question was answered: %+v", got)
	}
	m = sentOne(t, "the answer", g.write(c, inboxID, "Huda"))
	if m.Text != "Your order number?" {
		t.Fatalf("after the call the question went on with %+v", m)
	}
}

var _ engine.Reminder = (*Router)(nil)

const helloFlow = `flow: hello
triggers:
  - keywords: [hello]
steps:
  - say: "Hi!"
`

// A customer who keeps writing things the flows do not answer at all (no fallback flow)
// still gets the link again once per RedirectEvery, under link and under bridge.
func TestEngineRedirectAgainWithoutAReply(t *testing.T) {
	for _, tt := range []struct {
		name     string
		number   chat.NumberID
		first    chat.Kind // what the first answer is
		firstNum chat.NumberID
	}{
		{"link", linkNum, chat.KindText, linkNum},
		{"bridge", bridgeN, chat.KindTemplate, inboxID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newEngineRig(t, testOptions(), helloFlow)
			const c = chat.ContactID("966500000015")
			m := sentOne(t, "hello", g.write(c, tt.number, "hello"))
			if m.From != tt.firstNum || m.Kind != tt.first {
				t.Fatalf("first answer = %+v", m)
			}
			g.clk.Advance(time.Hour)
			if got := g.write(c, tt.number, "are you there?"); len(got) != 0 {
				t.Fatalf("within the period: %+v", got)
			}
			g.clk.Advance(DefaultRedirectEvery)
			m = sentOne(t, "after the period", g.write(c, tt.number, "??"))
			if m.From != tt.number || m.Kind != chat.KindText || m.Text != wantLink || m.To != c {
				t.Fatalf("reminder = %+v, want the link from %s", m, tt.number)
			}
			if got := g.write(c, tt.number, "ok"); len(got) != 0 {
				t.Fatalf("right after the reminder: %+v", got)
			}
			h := g.history(c)
			if n := len(h); n < 2 || h[n-2] != "outbound:"+string(tt.number)+":text" || h[n-1] != "inbound" {
				t.Errorf("history = %q", h)
			}
		})
	}
}
