package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

// env is one running wasla with its Redis and fake Graph API.
type env struct {
	p        *proc
	graph    *fakeGraph
	store    *store.Redis
	redisURL string
}

func start(t *testing.T) *env {
	t.Helper()
	rs := redistest.Start(t)
	if rs == nil {
		return nil // skipped: no redis-server
	}
	g := newFakeGraph(t, graphTokens)
	p := serve(t, writeConfig(t, rs.URL(), g.URL()))
	st, err := store.New(rs.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &env{p: p, graph: g, store: st, redisURL: rs.URL()}
}

// history returns the contact's history as `wasla history export` writes it.
func (e *env) history(t *testing.T, contact string) []chat.Event {
	t.Helper()
	out, err := exec.Command(waslaBin, "history", "export", "--redis", e.redisURL, "--contact", contact, "--format", "jsonl").Output()
	if err != nil {
		t.Fatalf("wasla history export: %v", err)
	}
	var evs []chat.Event
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var ev chat.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("history export line: %v\n%s", err, out)
		}
		evs = append(evs, ev)
	}
	return evs
}

func (e *env) state(t *testing.T, contact string) *contact.State {
	t.Helper()
	st, err := e.store.Load(context.Background(), chat.ContactID(contact))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// metricsText returns the /metrics page, scraped with the metrics token.
func (e *env) metricsText(t *testing.T) (int, string) {
	t.Helper()
	return e.p.metricsText()
}

// metric returns the value of the series line that starts with series, or -1.
func (e *env) metric(t *testing.T, series string) float64 {
	t.Helper()
	return e.p.metric(series)
}

// summary lists events as "kind@number" for compact comparisons; an outbound message's
// number is the one it left from.
func summary(evs []chat.Event) string {
	var parts []string
	for _, ev := range evs {
		number := ev.Number
		if ev.Kind == chat.EventOutbound && ev.Outbound != nil {
			number = ev.Outbound.From
		}
		parts = append(parts, string(ev.Kind)+"@"+string(number))
	}
	return strings.Join(parts, " ")
}

func TestServeConversation(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	if code, body := e.p.get("/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + verifyToken); code != 200 || body != "1158201444" {
		t.Errorf("handshake = %d %q, want 200 and the challenge", code, body)
	}
	if code, body := e.p.get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := e.p.get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q", code, body)
	}

	const sheena = "16505551234"
	e.p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: sheena, name: "Sheena Nelson", id: "wamid.E2E.S1", text: "Hello!"}))
	got := waitSent(t, e.graph, 2, replies(sheena))
	if got[0].Number != inboxID || got[0].Type != "text" || got[0].Text != "Welcome Sheena Nelson!" || got[0].To != "+"+sheena {
		t.Errorf("first reply = %+v", got[0])
	}
	if got[1].Number != inboxID || got[1].Type != "interactive" || got[1].Text != "How can we help?" {
		t.Errorf("second reply = %+v", got[1])
	}
	reads := e.graph.Sent(func(s sent) bool { return s.Type == "read" && s.Body["message_id"] == "wamid.E2E.S1" })
	if len(reads) != 1 || reads[0].Number != inboxID {
		t.Errorf("read receipts = %+v, want one from the inbox", reads)
	}

	// The exact bytes Meta publishes, escapes and all: the signature covers them as sent.
	// The message is from June 2025, so the 24-hour window is long closed: the greeting
	// becomes the window template and the buttons are refused, never sent blind.
	raw := sample(t, "text_non_ascii_forwarded.json")
	e.p.mustPost(raw)
	const amelie = "33612345678"
	got = waitSent(t, e.graph, 1, replies(amelie))
	if got[0].Type != "template" || got[0].Template != "follow_up" || got[0].Number != inboxID {
		t.Errorf("reply outside the window = %+v, want the follow_up template from the inbox", got[0])
	}
	eventually(t, "the refusal in the history", func() bool {
		return strings.Contains(summary(e.history(t, amelie)), "refused@")
	})
	if h := e.history(t, amelie); h[0].Kind != chat.EventInbound || h[0].Inbound.Text != "Café crème à 15€? مرحبا 👋 see https://example.com/a@b" {
		t.Errorf("first history entry = %+v", h[0])
	}

	h := e.history(t, sheena)
	if s := summary(h); s != "inbound@"+inboxID+" outbound@"+inboxID+" outbound@"+inboxID {
		t.Errorf("history = %s", s)
	}
	if h[0].Inbound == nil || h[0].Inbound.ID != "wamid.E2E.S1" || h[0].Inbound.Text != "Hello!" {
		t.Errorf("inbound entry = %+v", h[0])
	}

	for series, want := range map[string]float64{
		`wasla_inbound_messages_total{number="` + inboxID + `",type="text"}`:              2,
		`wasla_outbound_messages_total{number="` + inboxID + `",type="text"}`:             1,
		`wasla_outbound_messages_total{number="` + inboxID + `",type="buttons"}`:          1,
		`wasla_outbound_messages_total{number="` + inboxID + `",type="template"}`:         1,
		`wasla_webhook_requests_total{code="200",method="POST"}`:                          2,
		`wasla_webhook_duration_seconds_count`:                                            2,
		`wasla_intake_queue_depth`:                                                        0,
		`wasla_number_state{number="` + inboxID + `",role="inbox",state="active"}`:        1,
		`wasla_number_quality{number="` + holdID + `",quality="UNKNOWN",role="campaign"}`: 1,
	} {
		eventually(t, series, func() bool { return e.metric(t, series) == want })
	}
	if e.metric(t, `wasla_window_refusals_total{number="`+inboxID+`",reason="window_template_sent"}`) < 1 {
		_, body := e.metricsText(t)
		t.Errorf("no window refusal counted:\n%s", grepLines(body, "refusal"))
	}
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestServeDuplicatesAndOutOfOrder(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	const bob = "966511111111"
	now := time.Now()
	msg := func(id, text string, at time.Time) []byte {
		return textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: bob, name: "Bob", id: id, text: text, at: at})
	}
	later := msg("wamid.E2E.B2", "hi", now)
	earlier := msg("wamid.E2E.B1", "hello", now.Add(-time.Second))

	// The later message arrives first; each is answered once, in arrival order.
	e.p.mustPost(later)
	e.p.mustPost(earlier)
	waitSent(t, e.graph, 4, replies(bob))

	// Meta redelivers both, twice at the same moment.
	var wg sync.WaitGroup
	for _, body := range [][]byte{later, earlier, later, earlier} {
		wg.Go(func() {
			if code := e.p.post(body); code != http.StatusOK {
				t.Errorf("redelivery answered %d", code)
			}
		})
	}
	wg.Wait()
	// A new message after the redeliveries: once it is answered, the redeliveries (queued
	// before it for the same contact) were handled or dropped.
	e.p.mustPost(msg("wamid.E2E.B3", "what?", now.Add(time.Second)))
	got := waitSent(t, e.graph, 5, replies(bob))
	if got[4].Text != "Sorry, write hello or order." {
		t.Errorf("last reply = %+v", got[4])
	}
	inbounds := 0
	for _, ev := range e.history(t, bob) {
		if ev.Kind == chat.EventInbound {
			inbounds++
		}
	}
	if inbounds != 3 {
		t.Errorf("history holds %d inbound messages, want 3: %s", inbounds, summary(e.history(t, bob)))
	}

	// Statuses out of order: read before delivered before sent, then a failure of another
	// message, delivered twice.
	sentToBob := e.graph.Sent(replies(bob))
	first, second := sentToBob[0].ID, sentToBob[1].ID
	for _, st := range []string{"read", "delivered", "sent"} {
		e.p.mustPost(statusWebhook(t, inboxID, inboxDisplay, bob, first, st, now))
	}
	failed := statusWebhook(t, inboxID, inboxDisplay, bob, second, "failed", now.Add(2*time.Second))
	e.p.mustPost(failed)
	e.p.mustPost(failed)
	var statusEvents []chat.Event
	for _, ev := range e.history(t, bob) {
		if ev.Kind == chat.EventStatus {
			statusEvents = append(statusEvents, ev)
		}
	}
	if len(statusEvents) != 1 {
		t.Fatalf("the failed status, delivered twice, is %d times in the history: %s", len(statusEvents), summary(e.history(t, bob)))
	}
	if d := statusEvents[0].Detail; !strings.Contains(d, second) || !strings.Contains(d, "131047") {
		t.Errorf("failed status entry = %q, want the wamid and error 131047", d)
	}
	for series, want := range map[string]float64{
		`wasla_message_statuses_total{number="` + inboxID + `",status="read"}`:                1,
		`wasla_message_statuses_total{number="` + inboxID + `",status="delivered"}`:           1,
		`wasla_message_statuses_total{number="` + inboxID + `",status="failed"}`:              2,
		`wasla_whatsapp_errors_total{code="131047",number="` + inboxID + `",source="status"}`: 2,
		`wasla_inbound_messages_total{number="` + inboxID + `",type="text"}`:                  7,
	} {
		if got := e.metric(t, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

func TestServeRefusesBadRequests(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	good := textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: "966522222222", name: "X", id: "wamid.E2E.X1", text: "hello"})
	big := append([]byte(`{"object":"whatsapp_business_account","entry":[],"pad":"`), bytes.Repeat([]byte("a"), 3<<20)...)
	big = append(big, `"}`...)
	malformed := []byte(`{"object":"whatsapp_business_account","entry":[{`)
	tests := []struct {
		name      string
		body      []byte
		signature string
		code      int
		log       string
	}{
		{"no signature", good, "", 401, "webhook refused: signature"},
		{"wrong secret", good, "sha256=" + strings.Repeat("ab", 32), 401, "webhook refused: signature"},
		{"body changed after signing", append(good, ' '), signOf(good), 401, "webhook refused: signature"},
		{"over 3 MB", big, signOf(big), 413, "webhook refused: body over 3 MB"},
		{"malformed JSON", malformed, signOf(malformed), 400, "webhook refused: malformed payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := e.p.postSigned(tt.body, tt.signature); code != tt.code {
				t.Errorf("POST = %d, want %d", code, tt.code)
			}
			e.p.waitLog(tt.log)
		})
	}
	if code, _ := e.p.get("/webhook?hub.mode=subscribe&hub.challenge=5&hub.verify_token=wrong"); code != 403 {
		t.Errorf("handshake with a wrong token = %d, want 403", code)
	}
	if n := e.metric(t, `wasla_webhook_requests_total{code="401",method="POST"}`); n != 3 {
		t.Errorf("401 count = %v, want 3", n)
	}
	if sent := e.graph.Sent(nil); len(sent) != 0 {
		t.Errorf("refused webhooks caused sends: %+v", sent)
	}
}

func signOf(b []byte) string {
	return whatsappSign(b)
}

// TestServeRoutingBanMidConversation is the routing scenario of issue 4: a contact answers
// a campaign number (hold policy), the campaign number's account is banned by an
// account_update webhook in the middle of the conversation, and the conversation goes on
// through the inbox number with one history and one session.
func TestServeRoutingBanMidConversation(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	const amal = "966500000001"
	n := 0
	say := func(number, display, text string) {
		t.Helper()
		n++
		e.p.mustPost(textWebhook(t, inbound{number: number, display: display, from: amal, name: "Amal",
			id: fmt.Sprintf("wamid.E2E.AMAL%d", n), text: text}))
	}
	from := func(number string) func(sent) bool {
		return func(s sent) bool { return replies(amal)(s) && s.Number == number }
	}

	say(holdID, holdDisplay, "order")
	got := waitSent(t, e.graph, 1, replies(amal))
	if got[0].Number != holdID || got[0].Text != "Your order number (6 digits)?" {
		t.Fatalf("reply on the campaign number = %+v, want the question from it (hold policy)", got[0])
	}
	say(holdID, holdDisplay, "١٢٣٤٥٦")
	got = waitSent(t, e.graph, 2, replies(amal))
	if got[1].Number != holdID || got[1].Text != "Which city?" {
		t.Fatalf("second reply = %+v", got[1])
	}

	// Meta disables the campaign number's account.
	e.p.mustPost(banWebhook(t, holdWABA, time.Now()))
	eventually(t, "the campaign number banned in /metrics", func() bool {
		return e.metric(t, `wasla_number_state{number="`+holdID+`",role="campaign",state="banned"}`) == 1
	})

	// The contact, unaware, answers on the campaign number: nothing leaves from it any more;
	// the inbox opens the conversation with the bridge template.
	say(holdID, holdDisplay, "Riyadh")
	got = waitSent(t, e.graph, 3, replies(amal))
	if got[2].Number != inboxID || got[2].Type != "template" || got[2].Template != "continue_here" {
		t.Fatalf("reply after the ban = %+v, want the bridge template from the inbox", got[2])
	}

	// The contact answers on the inbox: the same session goes on there.
	say(inboxID, inboxDisplay, "yes")
	got = waitSent(t, e.graph, 4, replies(amal))
	if got[3].Number != inboxID || got[3].Text != "Order 123456 to Riyadh: yes, noted." {
		t.Fatalf("reply on the inbox = %+v, want the order confirmed with the answers given on the campaign number", got[3])
	}
	if n := len(e.graph.Sent(from(holdID))); n != 2 {
		t.Errorf("%d replies left from the banned campaign number, want the 2 before the ban", n)
	}

	h := e.history(t, amal)
	wantOrder := strings.Join([]string{
		"inbound@" + holdID, "outbound@" + holdID,
		"inbound@" + holdID, "outbound@" + holdID,
		"inbound@" + holdID, "outbound@" + inboxID,
		"inbound@" + inboxID, "outbound@" + inboxID,
	}, " ")
	if s := summary(withoutKinds(h, chat.EventNumber, chat.EventRefused)); s != wantOrder {
		t.Errorf("history:\n got %s\nwant %s", s, wantOrder)
	}
	st := e.state(t, amal)
	if st.Session.Vars["order_no"] != "123456" || st.Session.Vars["city"] != "Riyadh" || st.Session.Vars["confirm"] != "yes" {
		t.Errorf("session vars = %v", st.Session.Vars)
	}
	if st.Contact.Windows[chat.NumberID(holdID)].IsZero() || st.Contact.Windows[chat.NumberID(inboxID)].IsZero() {
		t.Errorf("windows = %v, want both numbers", st.Contact.Windows)
	}

	// A second contact replies to the link-policy campaign: one answer with the link to the
	// inbox from the campaign number, then silence there (recorded), and the inbox goes on.
	const dana = "966500000002"
	say2 := func(number, display, id, text string) {
		e.p.mustPost(textWebhook(t, inbound{number: number, display: display, from: dana, name: "Dana", id: id, text: text}))
	}
	say2(linkID, linkDisplay, "wamid.E2E.D1", "order")
	got = waitSent(t, e.graph, 1, replies(dana))
	if got[0].Number != linkID || !strings.Contains(got[0].Text, "https://wa.me/"+digits(inboxDisplay)) {
		t.Fatalf("link policy reply = %+v, want the wa.me link to the inbox from the campaign number", got[0])
	}
	say2(linkID, linkDisplay, "wamid.E2E.D2", "654321")
	say2(inboxID, inboxDisplay, "wamid.E2E.D3", "Jeddah")
	got = waitSent(t, e.graph, 2, replies(dana))
	if got[1].Number != inboxID || got[1].Text != "Confirm order 654321 to Jeddah? (yes/no)" {
		t.Errorf("reply on the inbox = %+v", got[1])
	}
	if s := summary(e.history(t, dana)); !strings.Contains(s, "refused@") {
		t.Errorf("the refused reply is not in the history: %s", s)
	}
	if n := e.metric(t, `wasla_routing_invitations_total{kind="link",number="`+linkID+`"}`); n != 1 {
		t.Errorf("link invitations = %v, want 1", n)
	}
}

func withoutKinds(evs []chat.Event, kinds ...chat.EventKind) []chat.Event {
	var out []chat.Event
next:
	for _, ev := range evs {
		for _, k := range kinds {
			if ev.Kind == k {
				continue next
			}
		}
		out = append(out, ev)
	}
	return out
}

func TestServeReloadAndGracefulShutdown(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	const eve = "966533333333"
	n := 0
	hello := func() {
		n++
		e.p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: eve, name: "Eve",
			id: fmt.Sprintf("wamid.E2E.E%d", n), text: "hello"}))
	}
	hello()
	if got := waitSent(t, e.graph, 2, replies(eve)); got[0].Text != "Welcome Eve!" {
		t.Fatalf("reply = %+v", got[0])
	}

	file := filepath.Join(e.p.dir, "flows", "hello.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(orig, []byte("  - say:"), []byte("  - sya:"), 1)
	if err := os.WriteFile(file, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	rec := e.p.waitLog("flow reload failed; the running flows stay")
	if rec["reason"] != "file changed" {
		t.Errorf("reload reason = %v", rec["reason"])
	}
	diag := e.p.waitLog("hello.yaml:6:")
	if !regexp.MustCompile(`flow reload: .*hello\.yaml:6:\d+: `).MatchString(diag["msg"].(string)) {
		t.Errorf("diagnostic record = %v", diag)
	}
	hello()
	if got := waitSent(t, e.graph, 4, replies(eve)); got[2].Text != "Welcome Eve!" {
		t.Errorf("after a broken reload the reply is %+v, want the running flows' greeting", got[2])
	}

	e.p.signal(syscall.SIGHUP)
	eventually(t, "a SIGHUP reload", func() bool {
		for _, m := range e.p.logLines() {
			if m["msg"] == "flow reload failed; the running flows stay" && m["reason"] == "SIGHUP" {
				return true
			}
		}
		return false
	})

	fixed := bytes.Replace(orig, []byte("Welcome"), []byte("Welcome back"), 1)
	if err := os.WriteFile(file, fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	e.p.waitLog("flows reloaded")
	hello()
	if got := waitSent(t, e.graph, 6, replies(eve)); got[4].Text != "Welcome back Eve!" {
		t.Errorf("after a good reload the reply is %+v", got[4])
	}
	if v := e.metric(t, `wasla_flow_reloads_total{result="error"}`); v < 2 {
		t.Errorf("failed reloads = %v, want at least 2", v)
	}

	e.p.signal(syscall.SIGTERM)
	if code := e.p.wait(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	e.p.waitLog("stopped")
}

func TestServeStartup(t *testing.T) {
	g := newFakeGraph(t, graphTokens)
	t.Run("config mistake", func(t *testing.T) {
		path := writeConfig(t, "", g.URL())
		data, _ := os.ReadFile(path)
		data = bytes.Replace(data, []byte("listen:"), []byte("lisen:"), 1)
		data = bytes.Replace(data, []byte("role: inbox"), []byte("role: inbx"), 1)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		p := run(t, "serve", "--config", path)
		if code := p.wait(); code != 1 {
			t.Errorf("exit code = %d, want 1", code)
		}
		out := p.logs.String()
		for _, want := range []string{
			path + ":1:1: unknown key `lisen` in the configuration; did you mean `listen`?",
			path + ":16:11: numbers[0].role must be `inbox` or `campaign`, found \"inbx\"; did you mean `inbox`?",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("missing secret", func(t *testing.T) {
		path := writeConfig(t, "", g.URL())
		p := runEnv(t, testEnv[1:], "serve", "--config", path)
		if code := p.wait(); code != 1 {
			t.Errorf("exit code = %d, want 1", code)
		}
		if out := p.logs.String(); out != path+":8:15: environment variable E2E_APP_SECRET is not set\n" {
			t.Errorf("output lacks the missing variable:\n%s", out)
		}
	})
	t.Run("broken flow", func(t *testing.T) {
		path := writeConfig(t, "", g.URL())
		flow := filepath.Join(filepath.Dir(path), "flows", "order.yaml")
		if err := os.WriteFile(flow, []byte("flow: order\nsteps:\n  - goto: nowhere\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := run(t, "serve", "--config", path)
		if code := p.wait(); code != 1 {
			t.Errorf("exit code = %d, want 1", code)
		}
		if out := p.logs.String(); !strings.Contains(out, flow+":3:") {
			t.Errorf("output lacks the flow diagnostic:\n%s", out)
		}
	})
	t.Run("embedded store, secrets never printed", func(t *testing.T) {
		path := writeConfig(t, "", g.URL())
		p := serve(t, path)
		rec := p.waitLog("NO REDIS CONFIGURED")
		if rec["level"] != "WARN" {
			t.Errorf("embedded store notice at level %v, want WARN", rec["level"])
		}
		if code, _ := p.get("/readyz"); code != 200 {
			t.Errorf("/readyz = %d", code)
		}
		p.signal(syscall.SIGINT)
		if code := p.wait(); code != 0 {
			t.Errorf("exit code after SIGINT = %d", code)
		}
		out := p.logs.String()
		for _, secret := range []string{appSecret, verifyToken, inboxToken, holdToken, linkToken} {
			if strings.Contains(out, secret) {
				t.Errorf("the output shows the secret %q", secret)
			}
		}
	})
}
