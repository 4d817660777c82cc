package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/flows"
)

var start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	eng   *engine.Engine
	store *enginetest.MemStore
	rec   *enginetest.Recorder
	clk   *clock.Manual
	seq   int
}

// newHarness loads the flow files (name → YAML) and starts an engine over a memory store.
func newHarness(t *testing.T, files map[string]string, opts engine.Options) *harness {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, diags := flows.Load(dir)
	if diags.HasErrors() {
		t.Fatalf("flows do not load:\n%v", diags)
	}
	h := &harness{t: t, store: &enginetest.MemStore{}, rec: &enginetest.Recorder{}, clk: clock.NewManual(start)}
	opts.Clock = h.clk
	h.eng = engine.New(set, h.store, h.rec, opts)
	return h
}

func (h *harness) send(in chat.Inbound) {
	h.t.Helper()
	h.seq++
	if in.ID == "" {
		in.ID = fmt.Sprintf("wamid.%d", h.seq)
	}
	if in.Contact == "" {
		in.Contact = "966500000001"
	}
	if in.Number == "" {
		in.Number = "inbox"
	}
	if in.Kind == "" {
		in.Kind = chat.KindText
	}
	if err := h.eng.Receive(context.Background(), nil, in); err != nil {
		h.t.Fatalf("Receive(%q): %v", in.Text, err)
	}
}

// say sends a text and returns the texts the bot answered.
func (h *harness) say(text string) []string {
	h.t.Helper()
	h.send(chat.Inbound{Text: text})
	return texts(h.rec.Take())
}

func (h *harness) advance(d time.Duration) []string {
	h.t.Helper()
	h.clk.Advance(d)
	if _, err := h.eng.RunDue(context.Background()); err != nil {
		h.t.Fatalf("RunDue: %v", err)
	}
	return texts(h.rec.Take())
}

func (h *harness) state() *engine.State {
	h.t.Helper()
	st, err := h.eng.State(context.Background(), "966500000001")
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func texts(out []chat.Outbound) []string {
	var s []string
	for _, m := range out {
		switch m.Kind {
		case chat.KindButtons:
			titles := make([]string, len(m.Buttons))
			for i, b := range m.Buttons {
				titles[i] = b.Title
			}
			s = append(s, m.Text+" ["+strings.Join(titles, "|")+"]")
		case chat.KindTemplate:
			s = append(s, "template:"+m.Template.Name+"("+strings.Join(m.Template.Params, ",")+")")
		default:
			s = append(s, m.Text)
		}
	}
	return s
}

func expect(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

const orderFlow = `flow: order
triggers:
  - keywords: [order, طلبي]
steps:
  - id: ask_no
    ask: "رقم الطلب؟"
    save: order_no
    validate: 'answer matches "^[0-9]{6}$"'
    retry: "ستة أرقام من فضلك"
    max_retries: 1
    on_fail: sorry
    timeout: 30m
    on_timeout: bye
  - say: "طلبك {{ vars.order_no }}"
  - end: true
  - id: sorry
    say: "سنحوّلك إلى موظف"
  - end: true
  - id: bye
    say: "انتهت المهلة"
`

func TestAskValidatesRetriesAndSavesASCIIDigits(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	expect(t, "trigger with diacritics", h.say("طَلَبِي"), "رقم الطلب؟")
	expect(t, "invalid answer", h.say("12"), "ستة أرقام من فضلك")
	expect(t, "valid Arabic-Indic answer", h.say("١٢٣٤٥٦"), "طلبك 123456")
	if got := h.state().Session.Vars["order_no"]; got != "123456" {
		t.Errorf("order_no = %#v, want \"123456\"", got)
	}
	if h.state().Session.Flow != "" {
		t.Errorf("session still in flow %q after end", h.state().Session.Flow)
	}
}

func TestAskFailsAfterMaxRetries(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	h.say("ORDER")
	expect(t, "first invalid", h.say("x"), "ستة أرقام من فضلك")
	expect(t, "second invalid goes to on_fail", h.say("y"), "سنحوّلك إلى موظف")
}

// TestFailedAskLeavesWhatAFailedHTTPLeaves checks that a question that fails (no valid
// answer, or none in time) removes vars.<save>, so that an earlier answer cannot pass for
// this one's, and says why in vars.<save>_error, which a valid answer removes.
func TestFailedAskLeavesWhatAFailedHTTPLeaves(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	check := func(what string, wantNo, wantErr any) {
		t.Helper()
		vars := h.state().Session.Vars
		if got := vars["order_no"]; got != wantNo {
			t.Errorf("%s: order_no = %#v, want %#v", what, got, wantNo)
		}
		if got := vars["order_no_error"]; got != wantErr {
			t.Errorf("%s: order_no_error = %#v, want %#v", what, got, wantErr)
		}
	}
	h.say("order")
	h.say("123456")
	check("answered", "123456", nil)
	h.say("order")
	h.say("x")
	expect(t, "no valid answer", h.say("y"), "سنحوّلك إلى موظف")
	check("no valid answer", nil, "no valid answer after 2 tries")
	h.say("order")
	h.say("654321")
	check("answered again", "654321", nil)
	h.say("order")
	expect(t, "no answer in time", h.advance(30*time.Minute), "انتهت المهلة")
	check("no answer in time", nil, "no answer within 30m")
}

func TestAskTimeoutTakesItsBranchOnce(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	h.say("order")
	expect(t, "before the timeout", h.advance(29*time.Minute))
	expect(t, "at the timeout", h.advance(time.Minute), "انتهت المهلة")
	expect(t, "after the timeout", h.advance(time.Hour))
	if h.state().Session.Await != nil {
		t.Error("session still awaits input after the timeout")
	}
}

func TestAnswerCancelsTimeout(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	h.say("order")
	h.say("123456")
	expect(t, "timer after the answer", h.advance(2*time.Hour))
}

func TestWaitResumesOnTheClock(t *testing.T) {
	h := newHarness(t, map[string]string{"remind.yaml": `flow: remind
triggers: [{keywords: [book]}]
steps:
  - say: booked
  - wait: 1d
  - template: {name: reminder, language: ar, params: ["{{ contact.id }}"]}
`}, engine.Options{})
	expect(t, "book", h.say("book"), "booked")
	expect(t, "after 23h", h.advance(23*time.Hour))
	expect(t, "after 24h", h.advance(time.Hour), "template:reminder(966500000001)")
}

func TestBurstIsAnsweredOnce(t *testing.T) {
	h := newHarness(t, map[string]string{
		"settings.yaml": "settings:\n  burst_window: 3s\n",
		"hello.yaml": `flow: hello
triggers: [{fallback: true}]
steps:
  - say: "got: {{ message.text }}"
`}, engine.Options{})
	expect(t, "first of burst", h.say("hi"))
	h.clk.Advance(time.Second)
	expect(t, "second of burst", h.say("I want"))
	h.clk.Advance(time.Second)
	expect(t, "third of burst", h.say("to order"))
	expect(t, "burst answered", h.advance(3*time.Second), "got: hi\nI want\nto order")
	expect(t, "nothing more", h.advance(time.Hour))
}

func TestStepLoopStopsWithError(t *testing.T) {
	h := newHarness(t, map[string]string{"loop.yaml": `flow: loop
triggers: [{keywords: [loop]}]
steps:
  - id: a
    set: {n: '(vars.n ?? 0) + 1'}
  - goto: a
`}, engine.Options{})
	expect(t, "loop", h.say("loop"), flows.DefaultErrorReply)
	var found bool
	for _, ev := range h.store.History("966500000001") {
		if ev.Kind == chat.EventError && strings.Contains(ev.Detail, "too many steps") {
			found = true
		}
	}
	if !found {
		t.Error("no step-limit error in the history")
	}
	if h.state().Session.Flow != "" {
		t.Error("session still in the loop flow")
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

const lookupFlow = `flow: lookup
triggers: [{keywords: [status]}]
steps:
  - http: {get: "https://shop.example/api/orders/{{ vars.no ?? 1 }}", timeout: 2s}
    save: order
    on_error: failed
  - say: "status: {{ vars.order.status }}"
  - end: true
  - id: failed
    say: "lookup failed"
`

func TestHTTPStepSavesJSONAndTakesErrorBranch(t *testing.T) {
	cases := []struct {
		name string
		do   doerFunc
		want string
	}{
		{"ok", func(r *http.Request) (*http.Response, error) {
			if r.URL.String() != "https://shop.example/api/orders/1" {
				return nil, fmt.Errorf("unexpected url %s", r.URL)
			}
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"status":"shipped"}`))}, nil
		}, "status: shipped"},
		{"server error", func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 502, Body: io.NopCloser(strings.NewReader(`bad`))}, nil
		}, "lookup failed"},
		{"transport error", func(*http.Request) (*http.Response, error) {
			return nil, errors.New("connection refused")
		}, "lookup failed"},
		{"timeout", func(r *http.Request) (*http.Response, error) {
			// The step's 2s timeout must be on the request; answer as the deadline would,
			// without waiting for it.
			dl, ok := r.Context().Deadline()
			if left := time.Until(dl); !ok || left > 2*time.Second || left < time.Second {
				return nil, fmt.Errorf("request deadline %v (set=%v), want about 2s", dl, ok)
			}
			return nil, fmt.Errorf("waiting for answer: %w", context.DeadlineExceeded)
		}, "lookup failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"lookup.yaml": lookupFlow}, engine.Options{HTTP: c.do})
			expect(t, "reply", h.say("status"), c.want)
		})
	}
}

const shopFlows = `flow: menu
triggers: [{fallback: true}]
steps:
  - buttons: "اختر"
    options:
      - {id: PRICES, title: "الأسعار", goto: prices}
      - {id: HOURS, title: "Hours", goto: hours}
    retry: "اختر زراً"
  - id: prices
    say: "prices"
  - end: true
  - id: hours
    call: hours_flow
  - say: "back in menu"
`

const hoursFlow = `flow: hours_flow
steps:
  - say: "9 to 5"
`

func TestButtonsChoiceByIDTitleOrNumberAndSubflowReturn(t *testing.T) {
	for _, c := range []struct {
		name string
		in   chat.Inbound
		want []string
	}{
		{"by id", chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "PRICES", Text: "الأسعار"}, []string{"prices"}},
		{"by folded title", chat.Inbound{Text: "الاسعار"}, []string{"prices"}},
		{"by number", chat.Inbound{Text: "٢"}, []string{"9 to 5", "back in menu"}},
		{"no match", chat.Inbound{Text: "what?"}, []string{"اختر زراً"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"menu.yaml": shopFlows, "hours.yaml": hoursFlow}, engine.Options{})
			expect(t, "menu", h.say("hello"), "اختر [الأسعار|Hours]")
			h.send(c.in)
			expect(t, "after choice", texts(h.rec.Take()), c.want...)
		})
	}
}

func TestOptOutConfirmsOnceAndSilencesTheBot(t *testing.T) {
	h := newHarness(t, map[string]string{
		"settings.yaml": "settings:\n  opt_out_reply: \"تم إلغاء اشتراكك\"\n",
		"menu.yaml":     shopFlows, "hours.yaml": hoursFlow,
	}, engine.Options{})
	h.say("hi")
	expect(t, "opt out", h.say("إلغاء"), "تم إلغاء اشتراكك")
	expect(t, "opt out again", h.say("STOP"))
	expect(t, "later message", h.say("hello"))
	if !h.state().Contact.OptedOut {
		t.Error("contact not marked opted out")
	}
}

// TestSetOptedOutIsHonouredLikeTheWords checks Meta's marketing stop and resume as the
// server passes them: the contact is opted out (the flow ends, nothing is sent), the bot
// stays silent, a repeated stop records nothing, and a resume lets the bot answer again.
func TestSetOptedOutIsHonouredLikeTheWords(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	ctx := context.Background()
	const id = "966500000001"
	h.say("order")
	for range 2 {
		if err := h.eng.SetOptedOut(ctx, id, true, "marketing stop"); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, "sent on the stop", texts(h.rec.Take()))
	if st := h.state(); !st.Contact.OptedOut || st.Session.Flow != "" {
		t.Errorf("after the stop: opted out %v, flow %q; want opted out, no flow", st.Contact.OptedOut, st.Session.Flow)
	}
	expect(t, "message after the stop", h.say("order"))
	if err := h.eng.SetOptedOut(ctx, id, false, "marketing resume"); err != nil {
		t.Fatal(err)
	}
	expect(t, "message after the resume", h.say("order"), "رقم الطلب؟")
	var kinds []string
	for _, ev := range h.store.History(id) {
		if ev.Kind == chat.EventOptOut || ev.Kind == chat.EventOptIn {
			kinds = append(kinds, string(ev.Kind)+":"+ev.Detail)
		}
	}
	if want := []string{string(chat.EventOptOut) + ":marketing stop", string(chat.EventOptIn) + ":marketing resume"}; !slices.Equal(kinds, want) {
		t.Errorf("history %v, want %v", kinds, want)
	}
}

func TestRestartWordRestartsFromAwaitedInput(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow, "menu.yaml": shopFlows, "hours.yaml": hoursFlow}, engine.Options{})
	h.say("order")
	expect(t, "restart word while asked", h.say("القائمه"), "اختر [الأسعار|Hours]")
}

func TestHandoffSilencesBotUntilReturn(t *testing.T) {
	h := newHarness(t, map[string]string{"help.yaml": `flow: help
triggers: [{keywords: [agent, موظف]}, {fallback: true}]
steps:
  - if: 'message.folded == "agent" || message.folded == "موظف"'
    then: human
  - say: "bot here"
  - end: true
  - id: human
    handoff: {queue: sales, say: "transferring", return_after: 2h}
`}, engine.Options{})
	expect(t, "handoff", h.say("agent"), "transferring")
	st := h.state()
	if st.Session.Mode != engine.ModeHuman || st.Session.Queue != "sales" {
		t.Fatalf("mode=%q queue=%q, want human/sales", st.Session.Mode, st.Session.Queue)
	}
	expect(t, "while human", h.say("hello?"))
	expect(t, "return timer", h.advance(2*time.Hour))
	expect(t, "after return", h.say("hello"), "bot here")
}

func TestConcurrentMessagesOfOneContactLoseNothing(t *testing.T) {
	h := newHarness(t, map[string]string{"count.yaml": `flow: count
triggers: [{fallback: true}]
steps:
  - set: {n: '(vars.n ?? 0) + 1'}
`}, engine.Options{})
	const contacts, perContact = 8, 25
	var wg sync.WaitGroup
	for c := range contacts {
		for i := range perContact {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := chat.Inbound{ID: fmt.Sprintf("m%d-%d", c, i), Contact: chat.ContactID(fmt.Sprint("c", c)), Number: "inbox", Kind: chat.KindText, Text: "x"}
				if err := h.eng.Receive(context.Background(), nil, in); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	for c := range contacts {
		st, err := h.eng.State(context.Background(), chat.ContactID(fmt.Sprint("c", c)))
		if err != nil {
			t.Fatal(err)
		}
		if n := st.Session.Vars["n"]; n != float64(perContact) {
			t.Errorf("contact c%d: n = %v, want %d", c, n, perContact)
		}
	}
}

// conflictStore makes the first commit of every contact fail as if another replica had
// written first, to prove the engine re-runs the message and sends its replies once.
type conflictStore struct {
	*enginetest.MemStore
	mu    sync.Mutex
	tried map[chat.ContactID]bool
}

func (c *conflictStore) Commit(ctx context.Context, st *engine.State, h []chat.Event) error {
	c.mu.Lock()
	first := !c.tried[st.Contact.ID]
	c.tried[st.Contact.ID] = true
	c.mu.Unlock()
	if first {
		return fmt.Errorf("commit: %w", engine.ErrConflict)
	}
	return c.MemStore.Commit(ctx, st, h)
}

func TestConflictReRunsAndRepliesOnce(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	cs := &conflictStore{MemStore: h.store, tried: map[chat.ContactID]bool{}}
	h.eng = engine.New(h.eng.Flows(), cs, h.rec, engine.Options{Clock: h.clk})
	expect(t, "one reply", h.say("order"), "رقم الطلب؟")
}

func TestDuplicateDeliveryIsAnsweredOnce(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	in := chat.Inbound{ID: "wamid.same", Text: "order"}
	h.send(in)
	h.send(in)
	expect(t, "replies to two deliveries", texts(h.rec.Take()), "رقم الطلب؟")
	if n := len(h.store.History("966500000001")); n != 2 {
		t.Errorf("history has %d entries, want 2 (one inbound, one outbound)", n)
	}
}

func TestWaitOutlivesOtherFlowsAndYieldsToQuestions(t *testing.T) {
	h := newHarness(t, map[string]string{
		"remind.yaml": `flow: remind
triggers: [{keywords: [book]}]
steps:
  - wait: 2h
  - say: reminder
`,
		"ask.yaml": `flow: quiz
triggers: [{keywords: [quiz]}]
steps:
  - ask: "name?"
    save: name
  - say: "thanks {{ vars.name }}"
`,
		"hi.yaml": "flow: hi\ntriggers: [{fallback: true}]\nsteps:\n  - say: hello\n",
	}, engine.Options{})
	h.say("book")
	expect(t, "another flow meanwhile", h.say("hey"), "hello")
	expect(t, "a question meanwhile", h.say("quiz"), "name?")
	expect(t, "due while a question waits", h.advance(2*time.Hour))
	expect(t, "answer", h.say("Sara"), "thanks Sara")
	expect(t, "the wait resumes later", h.advance(10*time.Minute), "reminder")
	expect(t, "once", h.advance(24*time.Hour))
}

func TestReplyIDTriggersBeatKeywordsOfTheTitle(t *testing.T) {
	h := newHarness(t, map[string]string{
		"order.yaml": "flow: order\ntriggers: [{keywords: [order]}]\nsteps:\n  - say: order flow\n",
		"sales.yaml": "flow: sales\ntriggers: [{button: BUY}]\nsteps:\n  - say: sales flow\n",
	}, engine.Options{})
	h.send(chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "BUY", Text: "Order now"})
	expect(t, "button titled with a keyword", texts(h.rec.Take()), "sales flow")
}

func TestSetWritesContactFieldsAndHeadersAreSent(t *testing.T) {
	h := newHarness(t, map[string]string{"lang.yaml": `flow: lang
triggers: [{fallback: true}]
steps:
  - set: {contact.language: '"en"', contact.attrs.city: '"Jeddah"', contact.name: '"Sara"', n: 1}
  - buttons: "Hi {{ contact.name }} from {{ contact.attrs.city }}"
    header: "Welcome"
    footer: "{{ contact.language }}"
    options: [{id: A, title: A}]
`}, engine.Options{})
	h.send(chat.Inbound{Text: "x"})
	out := h.rec.Take()
	if len(out) != 1 || out[0].Header != "Welcome" || out[0].Footer != "en" || out[0].Text != "Hi Sara from Jeddah" {
		t.Fatalf("sent %+v", out)
	}
	c := h.state().Contact
	if c.Language != "en" || c.Attrs["city"] != "Jeddah" || c.Name != "Sara" {
		t.Errorf("contact = %+v", c)
	}
}

func TestHTTPStatusIsSaved(t *testing.T) {
	h := newHarness(t, map[string]string{"lookup.yaml": lookupFlow}, engine.Options{HTTP: doerFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
	})})
	expect(t, "reply", h.say("status"), "lookup failed")
	vars := h.state().Session.Vars
	if vars["order_status"] != float64(404) || !strings.HasSuffix(fmt.Sprint(vars["order_error"]), "status 404") {
		t.Errorf("vars = %v", vars)
	}
}

func TestAgentReplyIsSentAndRecorded(t *testing.T) {
	h := newHarness(t, map[string]string{"help.yaml": "flow: help\ntriggers: [{fallback: true}]\nsteps:\n  - handoff: sales\n"}, engine.Options{})
	h.say("help")
	if err := h.eng.AgentReply(context.Background(), "966500000001", "agent:huda", chat.Outbound{Text: "أهلاً، كيف أساعدك؟"}); err != nil {
		t.Fatal(err)
	}
	expect(t, "agent reply", texts(h.rec.Take()), "أهلاً، كيف أساعدك؟")
	hist := h.store.History("966500000001")
	last := hist[len(hist)-1]
	if last.Kind != chat.EventAgent || last.Detail != "agent:huda" || last.Number != "inbox" {
		t.Errorf("last history entry = %+v", last)
	}
	if err := h.eng.ReturnToBot(context.Background(), "966500000001"); err != nil {
		t.Fatal(err)
	}
	if h.state().Session.Mode != engine.ModeBot {
		t.Error("still in human mode after ReturnToBot")
	}
}

// TestReturnAfterCountsFromTheLastAgentReply: the bot takes a handed-off conversation back
// only when no agent has written for return_after, never from an agent in mid-conversation.
func TestReturnAfterCountsFromTheLastAgentReply(t *testing.T) {
	h := newHarness(t, map[string]string{"help.yaml": `flow: help
triggers: [{keywords: [agent]}, {fallback: true}]
steps:
  - if: 'message.folded == "agent"'
    then: human
  - end: "bot here"
  - id: human
    handoff: {queue: support, return_after: 1h}
`}, engine.Options{})
	h.say("agent")
	h.clk.Advance(50 * time.Minute)
	if err := h.eng.AgentReply(context.Background(), "966500000001", "agent:huda", chat.Outbound{Text: "hello"}); err != nil {
		t.Fatal(err)
	}
	h.rec.Take()
	expect(t, "an hour after the hand-off, ten minutes after the agent", h.advance(10*time.Minute))
	expect(t, "while the agent talks", h.say("thanks"))
	if h.state().Session.Mode != engine.ModeHuman {
		t.Fatal("the bot took the conversation from the agent")
	}
	expect(t, "an hour after the agent", h.advance(50*time.Minute))
	if st := h.state().Session; st.Mode != engine.ModeBot || st.ReturnAfter != 0 {
		t.Fatalf("mode %q, return_after %v an hour after the agent's reply; want bot mode", st.Mode, st.ReturnAfter)
	}
	expect(t, "after the return", h.say("hello"), "bot here")
}

// TestReactionsAreSeenOnlyByWhenTriggers: an emoji on an earlier message answers no
// question and gets no fallback, but a `when` trigger may answer it.
func TestReactionsAreSeenOnlyByWhenTriggers(t *testing.T) {
	files := map[string]string{
		"help.yaml":   "flow: help\ntriggers: [{fallback: true}]\nsteps:\n  - say: \"help: {{ message.text }}\"\n",
		"name.yaml":   "flow: name\ntriggers: [{keywords: [name]}]\nsteps:\n  - ask: \"your name?\"\n    save: name\n  - say: \"thanks {{ vars.name }}\"\n",
		"thumbs.yaml": "flow: thumbs\ntriggers: [{keywords: [\"👍\"]}]\nsteps:\n  - say: keyword\n",
	}
	react := func(h *harness, emoji string) []string {
		h.send(chat.Inbound{Kind: chat.KindReaction, Text: emoji, ContextID: "wamid.out.1"})
		return texts(h.rec.Take())
	}
	t.Run("no fallback, no keyword", func(t *testing.T) {
		h := newHarness(t, files, engine.Options{})
		expect(t, "reaction", react(h, "👍"))
		expect(t, "typed", h.say("👍"), "keyword")
	})
	t.Run("no answer", func(t *testing.T) {
		h := newHarness(t, files, engine.Options{})
		expect(t, "question", h.say("name"), "your name?")
		expect(t, "reaction", react(h, "❤️"))
		expect(t, "answer", h.say("Sara"), "thanks Sara")
	})
	t.Run("a when trigger", func(t *testing.T) {
		files := maps.Clone(files)
		files["sorry.yaml"] = "flow: sorry\ntriggers: [{when: 'message.kind == \"reaction\" && message.text == \"👎\"'}]\nsteps:\n  - say: \"sorry to hear that\"\n"
		h := newHarness(t, files, engine.Options{})
		expect(t, "thumbs down", react(h, "👎"), "sorry to hear that")
		expect(t, "thumbs up", react(h, "👍"))
	})
	t.Run("kept in the history", func(t *testing.T) {
		h := newHarness(t, files, engine.Options{})
		react(h, "👍")
		hist := h.store.History("966500000001")
		if len(hist) != 1 || hist[0].Kind != chat.EventInbound || hist[0].Inbound.Kind != chat.KindReaction {
			t.Errorf("history = %+v, want the reaction", hist)
		}
	})
}

func TestPressOfATriggeredButtonLeavesAWaitingQuestion(t *testing.T) {
	h := newHarness(t, map[string]string{
		"order.yaml": orderFlow,
		"sales.yaml": "flow: sales\ntriggers: [{button: BUY}]\nsteps:\n  - say: sales flow\n",
	}, engine.Options{})
	h.say("order")
	h.send(chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "BUY", Text: "Buy"})
	expect(t, "press while asked", texts(h.rec.Take()), "sales flow")
	if h.state().Session.Await != nil {
		t.Error("the question still waits")
	}
	h.say("order")
	h.send(chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "UNKNOWN", Text: "123456"})
	expect(t, "a press no trigger names is an answer", texts(h.rec.Take()), "طلبك 123456")
}

type failingSender struct{}

func (failingSender) Send(context.Context, chat.Outbound) error { return errors.New("graph api down") }

func TestRunDueCountsATimerWhoseReplyFailed(t *testing.T) {
	h := newHarness(t, map[string]string{"remind.yaml": "flow: remind\ntriggers: [{keywords: [book]}]\nsteps:\n  - wait: 1h\n  - say: reminder\n"}, engine.Options{})
	h.say("book")
	eng := engine.New(h.eng.Flows(), h.store, failingSender{}, engine.Options{Clock: h.clk})
	h.clk.Advance(time.Hour)
	n, err := eng.RunDue(context.Background())
	if n != 1 || !errors.Is(err, engine.ErrDelivery) {
		t.Fatalf("RunDue = %d, %v; want 1 and ErrDelivery", n, err)
	}
	if len(h.store.History("966500000001")) == 0 || h.state().Session.Flow != "" {
		t.Error("the timer's state was not committed")
	}
}

func TestWaitUntilAMoment(t *testing.T) {
	h := newHarness(t, map[string]string{"visit.yaml": `flow: visit
triggers: [{keywords: [book]}, {keywords: [late]}]
steps:
  - if: 'message.folded == "late"'
    then: past
  - wait: {until: 'now + duration("3h")'}
  - say: "three hours on"
  - end: true
  - id: past
    wait: {until: 'now - duration("1h")'}
  - say: "at once"
  - wait: {until: '"tomorrow"'}
`}, engine.Options{})
	expect(t, "book", h.say("book"))
	expect(t, "before", h.advance(3*time.Hour-time.Minute))
	expect(t, "at the moment", h.advance(time.Minute), "three hours on")
	expect(t, "a moment already past", h.say("late"), "at once", flows.DefaultErrorReply)
	var failed bool
	for _, ev := range h.store.History("966500000001") {
		if ev.Kind == chat.EventError && strings.Contains(ev.Detail, "gave a text, want a time") {
			failed = true
		}
	}
	if !failed {
		t.Error("a wait until a text was not reported as an error")
	}
}

// TestRecordAppendsOutsideAFlowAndKeepsState: history written outside a flow run (a send
// that failed, a status webhook) goes through the engine's update, so a concurrent commit
// re-runs it, and the conversation in progress is left as it was.
func TestRecordAppendsOutsideAFlowAndKeepsState(t *testing.T) {
	h := newHarness(t, map[string]string{"order.yaml": orderFlow}, engine.Options{})
	expect(t, "question", h.say("order"), "رقم الطلب؟")
	const who chat.ContactID = "966500000001"
	before, err := h.eng.State(context.Background(), who)
	if err != nil {
		t.Fatal(err)
	}
	cs := &conflictStore{MemStore: h.store, tried: map[chat.ContactID]bool{}}
	eng := engine.New(h.eng.Flows(), cs, h.rec, engine.Options{Clock: h.clk})
	ev := chat.Event{Kind: chat.EventStatus, Contact: who, Number: "1001", At: h.clk.Now(), Detail: "wamid.X failed: error 131047"}
	if err := eng.Record(context.Background(), who, ev); err != nil {
		t.Fatal(err)
	}
	hist := h.store.History(who)
	if last := hist[len(hist)-1]; last.Kind != chat.EventStatus || last.Detail != ev.Detail {
		t.Errorf("last history entry = %+v, want the status event", last)
	}
	after, _ := eng.State(context.Background(), who)
	if after.Session.Flow != before.Session.Flow || after.Session.Step != before.Session.Step || after.Session.Await == nil {
		t.Errorf("session after Record = %+v, want the question still waiting", after.Session)
	}
	if err := eng.Record(context.Background(), ""); err == nil {
		t.Error("Record without a contact succeeded")
	}
}

// TestHistoryEventsCarryTypedDetails: the number change, the hand-off and the return name
// their numbers and queue in fields, so that readers never parse Detail.
func TestHistoryEventsCarryTypedDetails(t *testing.T) {
	h := newHarness(t, map[string]string{"help.yaml": "flow: help\ntriggers: [{fallback: true}]\nsteps:\n  - handoff: sales\n"}, engine.Options{})
	h.send(chat.Inbound{Text: "help", Number: "2001"})
	h.send(chat.Inbound{Text: "again", Number: "1001"})
	if err := h.eng.ReturnToBot(context.Background(), "966500000001"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range h.store.History("966500000001") {
		switch ev.Kind {
		case chat.EventNumber, chat.EventHandoff, chat.EventReturn:
			got = append(got, fmt.Sprintf("%s from=%s to=%s queue=%s", ev.Kind, ev.From, ev.To, ev.Queue))
		}
	}
	want := []string{"handoff from= to= queue=sales", "number from=2001 to=1001 queue=", "return from= to= queue=sales"}
	if !slices.Equal(got, want) {
		t.Errorf("typed details:\n got %q\nwant %q", got, want)
	}
}

// barrierSender holds every send until n sends are in flight at once, or ctx is done.
type barrierSender struct {
	mu      sync.Mutex
	waiting int
	n       int
	all     chan struct{}
}

func (b *barrierSender) Send(ctx context.Context, _ chat.Outbound) error {
	b.mu.Lock()
	b.waiting++
	if b.waiting == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestRunDueFiresContactsConcurrently(t *testing.T) {
	const contacts = 4
	h := newHarness(t, map[string]string{"remind.yaml": "flow: remind\ntriggers: [{keywords: [book]}]\nsteps:\n  - wait: 1h\n  - say: reminder\n"}, engine.Options{})
	for i := range contacts {
		h.send(chat.Inbound{Contact: chat.ContactID(fmt.Sprintf("96650000010%d", i)), Kind: chat.KindText, Text: "book"})
	}
	barrier := &barrierSender{n: contacts, all: make(chan struct{})}
	eng := engine.New(h.eng.Flows(), h.store, barrier, engine.Options{Clock: h.clk, DueWorkers: contacts})
	h.clk.Advance(time.Hour)
	// One timer at a time, the first send would wait for the others until the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n, err := eng.RunDue(ctx)
	if n != contacts || err != nil {
		t.Fatalf("RunDue = %d, %v; want %d timers fired together", n, err, contacts)
	}
}
