package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/routing"
	"github.com/wasla/wasla/sending"
)

const (
	secret = "test-app-secret"
	verify = "test-verify-token"
)

type rig struct {
	srv     *Server
	http    *httptest.Server
	intake  *fakeIntake
	engine  *fakeEngine
	history *fakeHistory
	numbers *fakeNumbers
	status  *fakeStatuses
	redis   *fakePinger
	logs    *syncbuf.Buffer
}

func newRig(t *testing.T, change func(*Deps)) *rig {
	t.Helper()
	r := &rig{intake: newFakeIntake(), engine: &fakeEngine{}, history: &fakeHistory{},
		numbers: &fakeNumbers{}, status: &fakeStatuses{}, redis: &fakePinger{}, logs: &syncbuf.Buffer{}}
	d := Deps{
		Logger: testLogger(r.logs), AppSecret: secret, VerifyToken: verify,
		Intake: r.intake, Engine: r.engine, Redis: r.redis,
		Contacts: fakeContacts{}, History: r.history, Numbers: r.numbers, Statuses: r.status,
		MetricsToken: metricsToken,
	}
	if change != nil {
		change(&d)
	}
	srv, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = srv
	r.http = httptest.NewServer(srv.Handler())
	t.Cleanup(r.http.Close)
	return r
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "channels", "whatsapp", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (r *rig) post(t *testing.T, body []byte, signature string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.http.URL+"/webhook", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(whatsapp.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// get sends a GET with the metrics token.
func (r *rig) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return r.call(t, http.MethodGet, path, metricsToken)
}

// call sends a request without body, with token as bearer token unless it is empty.
func (r *rig) call(t *testing.T, method, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, r.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHandshake(t *testing.T) {
	r := newRig(t, nil)
	tests := []struct {
		name, query string
		code        int
		body        string
	}{
		{"right token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=" + verify, 200, "1158201444"},
		{"wrong token", "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=nope", 403, "verification refused\n"},
		{"not subscribe", "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=" + verify, 403, "verification refused\n"},
		{"no challenge", "hub.mode=subscribe&hub.verify_token=" + verify, 403, "verification refused\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := r.get(t, "/webhook?"+tt.query)
			if code != tt.code || body != tt.body {
				t.Errorf("GET = %d %q, want %d %q", code, body, tt.code, tt.body)
			}
		})
	}
}

func TestWebhookRefusals(t *testing.T) {
	clk := clock.NewManual(time.Now())
	r := newRig(t, func(d *Deps) { d.Clock = clk })
	good := sample(t, "text.json")
	big := append([]byte(`{"object":"whatsapp_business_account","entry":[],"pad":"`), bytes.Repeat([]byte("x"), MaxWebhookBody)...)
	big = append(big, `"}`...)
	malformed := []byte(`{"object": "whatsapp_business_account", "entry": [`)
	tests := []struct {
		name      string
		body      []byte
		signature string
		code      int
		log       string
	}{
		{"no signature", good, "", 401, "missing X-Hub-Signature-256"},
		{"wrong secret", good, whatsapp.Sign("other", good), 401, "digest does not match the body"},
		{"signature of other bytes", good, whatsapp.Sign(secret, append([]byte(" "), good...)), 401, "digest does not match"},
		{"sha1 style header", good, "sha1=abcdef", 401, "header does not start with"},
		{"too big", big, whatsapp.Sign(secret, big), 413, "body over 3 MB"},
		{"malformed json", malformed, whatsapp.Sign(secret, malformed), 400, "malformed payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Advance(refusalLogPeriod) // refusals are logged once per period
			code, _ := r.post(t, tt.body, tt.signature)
			if code != tt.code {
				t.Errorf("POST = %d, want %d", code, tt.code)
			}
			if !strings.Contains(r.logs.String(), tt.log) {
				t.Errorf("log lacks %q:\n%s", tt.log, r.logs.String())
			}
		})
	}
	if got := r.intake.Pushed(); len(got) != 0 {
		t.Errorf("refused POSTs pushed %d messages", len(got))
	}
}

func TestWebhookExactly3MBIsAccepted(t *testing.T) {
	r := newRig(t, nil)
	head := []byte(`{"object":"whatsapp_business_account","entry":[],"pad":"`)
	body := append(head, bytes.Repeat([]byte("x"), MaxWebhookBody-len(head)-2)...)
	body = append(body, `"}`...)
	if len(body) != MaxWebhookBody {
		t.Fatalf("body is %d bytes", len(body))
	}
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Errorf("POST of exactly 3 MB = %d, want 200", code)
	}
}

func TestWebhookRecordsMessagesBeforeAnswering(t *testing.T) {
	r := newRig(t, nil)
	body := sample(t, "bsuid_user_id.json")
	code, _ := r.post(t, body, whatsapp.Sign(secret, body))
	if code != 200 {
		t.Fatalf("POST = %d, want 200", code)
	}
	// The intake holds the messages when the 200 arrives: nothing is processed yet
	// because no worker runs in this test.
	got := r.intake.Pushed()
	if len(got) != 2 {
		t.Fatalf("pushed %d messages, want 2", len(got))
	}
	if got[0].Contact != "16505551234" || got[0].UserID != "US.13491208655302741918" {
		t.Errorf("first contact = %q/%q", got[0].Contact, got[0].UserID)
	}
	if got[1].Contact != "5215550001111" {
		t.Errorf("user id only: contact = %q, want the resolved wa_id", got[1].Contact)
	}
}

func TestWebhookSetsCampaignOfReceivingNumber(t *testing.T) {
	r := newRig(t, nil)
	body := bytes.ReplaceAll(sample(t, "text.json"), []byte("106540352242922"), []byte("2002"))
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	if got := r.intake.Pushed(); len(got) != 1 || got[0].Campaign != "ramadan" || got[0].Number != "2002" {
		t.Errorf("pushed %+v, want one message to 2002 answering ramadan", got)
	}
}

func TestWebhookPushFailureAnswers500(t *testing.T) {
	r := newRig(t, nil)
	r.intake.pushErr = errors.New("redis down")
	body := sample(t, "text.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 500 {
		t.Errorf("POST with the intake down = %d, want 500 so that Meta retries", code)
	}
	if !strings.Contains(r.logs.String(), "redis down") {
		t.Errorf("log lacks the cause:\n%s", r.logs.String())
	}
}

func TestWebhookFailedStatusGoesToHistory(t *testing.T) {
	r := newRig(t, nil)
	body := sample(t, "status_failed.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	if evs := r.history.Events(); len(evs) != 0 {
		t.Fatalf("the webhook applied statuses before answering: %+v", evs)
	}
	r.srv.drainStatuses(context.Background())
	evs := r.history.Events()
	if len(evs) != 2 {
		t.Fatalf("history got %d events, want 2: %+v", len(evs), evs)
	}
	ev := evs[0]
	if ev.Kind != chat.EventStatus || ev.Contact != "16505551234" || ev.Number != "106540352242922" {
		t.Errorf("event = %+v", ev)
	}
	if !strings.Contains(ev.Detail, "failed") || !strings.Contains(ev.Detail, "131047") ||
		!strings.HasPrefix(ev.Detail, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBIyRkQ5Qjc5NkU3RDk2MDNFMzIA ") {
		t.Errorf("detail = %q, want the wamid and error 131047", ev.Detail)
	}
	if got := r.status.Applied(); len(got) != 2 || !strings.HasSuffix(got[0], "/failed") {
		t.Errorf("statuses applied = %v, want both failures", got)
	}
	_, metrics := r.get(t, "/metrics")
	for _, want := range []string{
		`wasla_whatsapp_errors_total{code="131047",number="106540352242922",source="status"} 1`,
		`wasla_message_statuses_total{number="106540352242922",status="failed"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestWebhookNumberEvents(t *testing.T) {
	r := newRig(t, nil)
	for _, name := range []string{"account_update.json", "phone_number_quality_update.json", "message_template_status_update.json", "status_sent.json"} {
		body := sample(t, name)
		if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
			t.Fatalf("POST %s = %d", name, code)
		}
	}
	counts := map[whatsapp.EventType]int{}
	for _, typ := range r.numbers.Applied() {
		counts[typ]++
	}
	if counts[whatsapp.TypeAccountUpdate] != 4 || counts[whatsapp.TypeQualityUpdate] != 3 || len(counts) != 2 {
		t.Errorf("registry got %v, want 4 account updates and 3 quality updates only", counts)
	}
	_, metrics := r.get(t, "/metrics")
	if !strings.Contains(metrics, `wasla_template_status_updates_total{event="APPROVED"}`) {
		t.Errorf("metrics lack the template status:\n%s", grep(metrics, "template"))
	}
}

func TestWebhookUserPreferencesOptOutAndIn(t *testing.T) {
	prefs := &fakePreferences{}
	r := newRig(t, func(d *Deps) { d.Preferences = prefs })
	body := sample(t, "user_preferences.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	want := []string{
		"966501234567 true whatsapp marketing_messages stop",
		"966501234567 false whatsapp marketing_messages resume",
	}
	if got := prefs.Got(); !slices.Equal(got, want) {
		t.Errorf("preferences recorded %q, want %q", got, want)
	}
	prefs.err = errors.New("redis down")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 500 {
		t.Errorf("POST with the store down = %d, want 500 so that Meta retries", code)
	}
}

func TestWebhookRegistryFailureAnswers500(t *testing.T) {
	r := newRig(t, nil)
	r.numbers.err = errors.New("redis down")
	body := sample(t, "account_update.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 500 {
		t.Errorf("POST = %d, want 500", code)
	}
}

func TestMetricsContent(t *testing.T) {
	r := newRig(t, nil)
	for _, name := range []string{"text.json", "image.json", "interactive_button_reply.json"} {
		body := sample(t, name)
		if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
			t.Fatalf("POST %s = %d", name, code)
		}
	}
	r.post(t, []byte("{}"), "sha256=00")
	r.srv.metrics.Outbound("106540352242922", chat.KindText)
	r.srv.metrics.SendError("2002", 131048)
	r.srv.metrics.Refused("106540352242922", routing.ReasonWindowClosed)
	r.srv.metrics.SendRefused("2002", sending.ReasonUnusable)
	r.srv.refreshDepth(context.Background())
	code, metrics := r.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`wasla_inbound_messages_total{number="106540352242922",type="text"} 1`,
		`wasla_inbound_messages_total{number="106540352242922",type="image"} 1`,
		`wasla_inbound_messages_total{number="106540352242922",type="button_reply"} 1`,
		`wasla_outbound_messages_total{number="106540352242922",type="text"} 1`,
		`wasla_whatsapp_errors_total{code="131048",number="2002",source="send"} 1`,
		`wasla_window_refusals_total{number="106540352242922",reason="window_closed"} 1`,
		`wasla_send_refusals_total{number="2002",reason="number_unusable"} 1`,
		`wasla_webhook_requests_total{code="200",method="POST"} 3`,
		`wasla_webhook_requests_total{code="401",method="POST"} 1`,
		`wasla_webhook_duration_seconds_count 4`,
		`wasla_webhook_duration_seconds_bucket{le="0.25"}`,
		`wasla_intake_queue_depth 3`,
		`wasla_number_quality{number="2002",quality="RED",role="campaign"} 1`,
		`wasla_number_state{number="2002",role="campaign",state="banned"} 1`,
		`wasla_number_state{number="106540352242922",role="inbox",state="active"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func grep(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestHealthAndReadiness(t *testing.T) {
	r := newRig(t, nil)
	if code, body := r.get(t, "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := r.get(t, "/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz = %d %q", code, body)
	}
	r.redis.err = errors.New("connection refused")
	if code, body := r.get(t, "/readyz"); code != 503 || body != "redis not reachable or refusing writes\n" {
		t.Errorf("/readyz with redis down = %d %q", code, body)
	}
	if code, _ := r.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz with redis down = %d, want 200 (the process is up)", code)
	}
}

const goodFlow = `flow: hello
triggers:
  - keywords: [hello]
steps:
  - say: "hi"
`

func TestReloadKeepsRunningFlowsOnError(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hello.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(goodFlow)
	r := newRig(t, func(d *Deps) {
		d.FlowsPaths = []string{dir}
		d.LoadFlows = func() (*flows.Set, flows.Diagnostics) { return flows.Load(dir) }
	})

	r.srv.CheckFlows()
	if n := len(r.engine.Sets()); n != 0 {
		t.Fatalf("unchanged files reloaded %d times", n)
	}

	write(strings.Replace(goodFlow, "say:", "sya:", 1) + "  - goto: nowhere\n")
	r.srv.CheckFlows()
	if n := len(r.engine.Sets()); n != 0 {
		t.Fatalf("a broken flow was swapped in")
	}
	logs := r.logs.String()
	if !strings.Contains(logs, "hello.yaml:5:") || !strings.Contains(logs, "flow reload failed; the running flows stay") {
		t.Errorf("log lacks the diagnostics:\n%s", logs)
	}
	if strings.Count(logs, "flow reload: "+file) < 2 {
		t.Errorf("want every diagnostic logged, got:\n%s", logs)
	}

	r.srv.CheckFlows()
	if strings.Count(r.logs.String(), "flow reload failed") != 1 {
		t.Errorf("an unchanged broken file was reloaded again")
	}

	write(strings.Replace(goodFlow, "hi", "hi again", 1))
	r.srv.CheckFlows()
	sets := r.engine.Sets()
	if len(sets) != 1 || sets[0].Flows["hello"] == nil {
		t.Fatalf("fixed flow not swapped in: %d sets", len(sets))
	}
	if err := r.srv.Reload("SIGHUP"); err != nil {
		t.Errorf("Reload: %v", err)
	}
	if len(r.engine.Sets()) != 2 {
		t.Errorf("SIGHUP reload did not swap")
	}
	_, metrics := r.get(t, "/metrics")
	for _, want := range []string{`wasla_flow_reloads_total{result="error"} 1`, `wasla_flow_reloads_total{result="ok"} 2`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestRunWorkersTimersAndGracefulShutdown(t *testing.T) {
	ticks := &manualTicks{}
	r := newRig(t, func(d *Deps) {
		d.Tick = ticks.Tick
		d.TimerInterval = 7 * time.Second
		d.RefreshInterval = 11 * time.Second
	})
	r.engine.started = make(chan chat.Inbound, 1)
	r.engine.gate = make(chan struct{})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- r.srv.Run(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	body := sample(t, "text.json")
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST = %d", resp.StatusCode)
	}

	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	select {
	case <-r.engine.started:
	case <-wait.Done():
		t.Fatal("the worker did not take the message")
	}
	if err := ticks.fire(wait, 7*time.Second); err != nil {
		t.Fatalf("timer loop: %v", err)
	}
	if err := ticks.fire(wait, 11*time.Second); err != nil {
		t.Fatalf("refresh loop: %v", err)
	}

	// Shut down while the message is in the engine: Run must wait for it.
	cancel()
	select {
	case err := <-runErr:
		t.Fatalf("Run returned (%v) before the message in flight finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(r.engine.gate)
	select {
	case err := <-runErr:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-wait.Done():
		t.Fatal("Run did not return after the message finished")
	}
	if got := r.engine.Received(); len(got) != 1 || got[0].Text != "Does it come in another color?" {
		t.Errorf("engine received %+v", got)
	}
	if r.engine.Due() == 0 {
		t.Errorf("the timer tick did not run RunDue")
	}
	if r.numbers.refresh == 0 {
		t.Errorf("the refresh tick did not refresh the numbers")
	}
}

func TestHandleTakesAnUndeliveredReplyAsHandled(t *testing.T) {
	for _, c := range []struct {
		name    string
		err     error
		wantErr bool
	}{
		{"delivered", nil, false},
		{"reply not delivered", fmt.Errorf("%w: sending text message: graph down", engine.ErrDelivery), false},
		{"store down", errors.New("committing contact state: connection refused"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.engine.err = c.err
			err := r.srv.handle(context.Background(), nil, chat.Inbound{ID: "wamid.1", Contact: "966500000001", Number: "inbox", Kind: chat.KindText, Text: "hi"})
			if (err != nil) != c.wantErr {
				t.Errorf("handle() = %v, want error: %v", err, c.wantErr)
			}
		})
	}
}

// blockingMarker is a MarkReader whose requests hang until released, like a slow Graph
// API or a number whose throughput is used up.
type blockingMarker struct {
	release chan struct{}
	calls   chan string
}

func (m *blockingMarker) MarkRead(ctx context.Context, _ chat.NumberID, id string) error {
	m.calls <- id
	select {
	case <-m.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Marking a message read never holds up handling it.
func TestMarkReadNeverHoldsUpHandling(t *testing.T) {
	mark := &blockingMarker{release: make(chan struct{}), calls: make(chan string, 1)}
	r := newRig(t, func(d *Deps) { d.MarkRead = mark })
	in := chat.Inbound{ID: "wamid.1", Contact: "966500000001", Number: "inbox", Kind: chat.KindText, Text: "hi"}
	if err := r.srv.handle(context.Background(), nil, in); err != nil {
		t.Fatal(err)
	}
	if got := r.engine.Received(); len(got) != 1 {
		t.Fatalf("engine received %d messages while the mark as read hangs, want 1", len(got))
	}
	if id := <-mark.calls; id != "wamid.1" {
		t.Fatalf("marked %q read, want wamid.1", id)
	}
	close(mark.release)
	r.srv.marking.Wait()
}

// Calls (the calls webhook field) travel the messages' durable path: each connect and
// terminate reaches the intake as a KindCall inbound with its own id, is handed to the
// engine, and is never marked read (a call is no message).
func TestWebhookCallsReachTheEngine(t *testing.T) {
	mark := &blockingMarker{release: make(chan struct{}), calls: make(chan string, 8)}
	close(mark.release)
	r := newRig(t, func(d *Deps) { d.MarkRead = mark })
	body := sample(t, "calls.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	pushed := r.intake.Pushed()
	var ids []string
	for _, in := range pushed {
		if in.Kind != chat.KindCall || in.Call == nil {
			t.Errorf("pushed %+v, want a call", in)
		}
		ids = append(ids, string(in.Contact)+" "+in.Call.Event+" "+in.Call.Direction)
	}
	want := []string{
		"16505551234 connect USER_INITIATED",
		"16505551234 terminate USER_INITIATED",
		"966501234567 terminate USER_INITIATED",
		"16505551234 terminate BUSINESS_INITIATED",
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("calls pushed = %q, want %q", ids, want)
	}
	for _, in := range pushed {
		if err := r.srv.handle(context.Background(), nil, in); err != nil {
			t.Fatal(err)
		}
	}
	r.srv.marking.Wait()
	if got := r.engine.Received(); len(got) != len(want) {
		t.Errorf("engine received %d calls, want %d", len(got), len(want))
	}
	if len(mark.calls) != 0 {
		t.Errorf("%d calls were marked read", len(mark.calls))
	}
}
