package e2e

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/inbox/web"
	"github.com/wasla/wasla/routing"
)

// TestInboxEventsInBrowser renders the thread's engine events (a replaced reply, a
// refusal, a change of number, a return to the bot, a hand-off) with the web inbox's own
// script in Chromium, and checks that the Arabic interface says them in Arabic from the
// events' typed fields, with an unknown detail shown as the engine wrote it.
func TestInboxEventsInBrowser(t *testing.T) {
	bin := chromium(t)
	srv := httptest.NewServer(web.Handler())
	t.Cleanup(srv.Close)
	text := &chat.Outbound{Kind: chat.KindText, Text: "طلبك جاهز"}
	events := []struct {
		name  string
		event chat.Event
		want  []string
		not   []string
	}{
		{"replaced by a template", chat.Event{Kind: chat.EventRefused, Outbound: text, From: "106540352242999", To: "106540352242922",
			Detail: "replaced by a template message from 106540352242922"},
			[]string{"لم يُرسل", "طلبك جاهز", "وأُرسل بدلاً منه قالب من الرقم", "106540352242922"}, []string{"replaced"}},
		{"replaced by an invitation", chat.Event{Kind: chat.EventRefused, Outbound: text, From: "106540352242922", To: "106540352242999",
			Detail: "replaced by a text message from 106540352242999"},
			[]string{"وأُرسلت بدلاً منه دعوة من الرقم", "106540352242999"}, []string{"replaced"}},
		{"refused", chat.Event{Kind: chat.EventRefused, Outbound: text, Number: "106540352242922", Detail: routing.ReasonWindowClosed},
			[]string{"نافذة الـ24 ساعة مغلقة ولا قالب بديل في الإعداد"}, []string{"window closed"}},
		{"refused to an opted-out contact", chat.Event{Kind: chat.EventRefused, Outbound: text, Detail: "contact opted out"},
			[]string{"ألغى العميل اشتراكه"}, []string{"opted out"}},
		{"unknown refusal", chat.Event{Kind: chat.EventRefused, Outbound: text, Detail: "a reason of tomorrow"},
			[]string{"لم يُرسل", "a reason of tomorrow"}, nil},
		{"number change", chat.Event{Kind: chat.EventNumber, Number: "106540352242922", From: "106540352242999", To: "106540352242922",
			Detail: "106540352242999 -> 106540352242922"},
			[]string{"كتب العميل إلى الرقم 106540352242922 بدلاً من 106540352242999"}, []string{"->"}},
		{"return by an agent", chat.Event{Kind: chat.EventReturn, Queue: "sales", Detail: "agent: sales"},
			[]string{"عادت المحادثة إلى البوت", "أعادها موظف", "sales"}, []string{"agent"}},
		{"return without an agent reply", chat.Event{Kind: chat.EventReturn, Queue: "sales", Detail: "no agent reply: sales"},
			[]string{"لم يرد موظف في الوقت المحدد"}, []string{"no agent"}},
		{"return by the bot word", chat.Event{Kind: chat.EventReturn, Queue: "sales", Detail: "bot word: sales"},
			[]string{"طلب العميل البوت"}, []string{"bot word"}},
		{"hand-off out of hours", chat.Event{Kind: chat.EventHandoff, Queue: "sales", Detail: "sales (closed)"},
			[]string{"حُوّلت المحادثة إلى فريق sales", "خارج ساعات العمل"}, []string{"closed"}},
		{"opt-out", chat.Event{Kind: chat.EventOptOut, Detail: "stop"},
			[]string{"طلب العميل إيقاف رسائلنا"}, []string{"opt_out"}},
	}
	list := make([]chat.Event, len(events))
	for i, e := range events {
		list[i] = e.event
	}
	js, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, bin)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/inbox?lang=ar")); err != nil {
		t.Fatalf("browser: opening /inbox: %v", err)
	}
	runBrowser(t, ctx, "the page's script", chromedp.WaitVisible(chromedp.ID("token")))
	got := browserValue(t, ctx, "the events' text", chromedp.Evaluate[[]string](
		`(`+string(js)+`).map((e) => { const li = eventItem(e); return li ? li.textContent : ""; })`))
	if len(got) != len(events) {
		t.Fatalf("%d texts for %d events: %q", len(got), len(events), got)
	}
	for i, e := range events {
		for _, w := range e.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s reads %q; want %q in it", e.name, got[i], w)
			}
		}
		for _, n := range e.not {
			if strings.Contains(got[i], n) {
				t.Errorf("%s reads %q: the engine's English %q is in the Arabic thread", e.name, got[i], n)
			}
		}
	}
}
