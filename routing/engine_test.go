package routing

import (
	"context"
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
