package sending

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/numbers"
)

const (
	inboxToken = "EAAG-inbox-secret"
	campToken  = "EAAG-campaign-secret"
)

// answer is one reply of the fake Graph API.
type answer struct {
	status int
	body   string
}

func ok(id string) answer {
	return answer{200, `{"messaging_product":"whatsapp","contacts":[{"input":"966500000001","wa_id":"966500000001"}],"messages":[{"id":"` + id + `"}]}`}
}

func metaError(status, code int, msg string) answer {
	return answer{status, fmt.Sprintf(`{"error":{"message":"(#%d) %s","type":"OAuthException","code":%d,"error_data":{"messaging_product":"whatsapp","details":"%s"},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`, code, msg, code, msg)}
}

type request struct {
	Path, Auth string
	Body       map[string]any
}

// graph is a fake Graph API that records each request and answers from a script; past
// the script it answers ok.
type graph struct {
	mu      sync.Mutex
	answers []answer
	reqs    []request
}

func (g *graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	g.mu.Lock()
	g.reqs = append(g.reqs, request{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
	a := ok("wamid.OK")
	if len(g.answers) > 0 {
		a, g.answers = g.answers[0], g.answers[1:]
	}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

type recorder struct {
	mu     sync.Mutex
	events []chat.Event
	err    error
}

func (r *recorder) RecordEvent(_ context.Context, ev chat.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return r.err
}

type observer struct {
	mu  sync.Mutex
	log []string
}

func (o *observer) add(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log = append(o.log, s)
}
func (o *observer) Sent(n chat.NumberID, k chat.Kind) { o.add(fmt.Sprintf("sent %s %s", n, k)) }
func (o *observer) Failed(n chat.NumberID, code int)  { o.add(fmt.Sprintf("failed %s %d", n, code)) }
func (o *observer) Refused(n chat.NumberID, reason string) {
	o.add(fmt.Sprintf("refused %s %s", n, reason))
}
func (o *observer) String() string { return strings.Join(o.log, "; ") }

// fakeLimiter answers Reserve from its fields and records the calls.
type fakeLimiter struct {
	wait  time.Duration
	err   error
	calls []string
}

func (f *fakeLimiter) Reserve(_ context.Context, n chat.NumberID, rate int, maxWait time.Duration) (time.Duration, error) {
	f.calls = append(f.calls, fmt.Sprintf("%s@%d max %v", n, rate, maxWait))
	return f.wait, f.err
}

type harness struct {
	graph  *graph
	reg    *numbers.Registry
	rec    *recorder
	obs    *observer
	lim    *fakeLimiter
	sleeps []time.Duration
	logs   bytes.Buffer
	snd    *Sender
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{graph: &graph{}, rec: &recorder{}, obs: &observer{}, lim: &fakeLimiter{}}
	srv := httptest.NewServer(h.graph)
	t.Cleanup(srv.Close)
	clk := clock.NewManual(t0)
	var err error
	h.reg, err = numbers.New([]numbers.Number{
		{ID: "1001", Display: "+966 55 000 0001", Role: numbers.RoleInbox, Token: inboxToken},
		{ID: "2001", Display: "+966 55 000 0002", Role: numbers.RoleCampaign, Token: campToken, Throughput: 20},
	}, &numbers.MemStates{}, numbers.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	client := &whatsapp.Client{BaseURL: srv.URL, Retry: whatsapp.RetryPolicy{
		Attempts: 2, Sleep: func(context.Context, time.Duration) error { return nil },
	}}
	h.snd, err = New(Options{
		Client: client, Numbers: h.reg, Limiter: h.lim, Recorder: h.rec, Observer: h.obs, Clock: clk,
		Sleep:  func(_ context.Context, d time.Duration) error { h.sleeps = append(h.sleeps, d); return nil },
		Logger: slog.New(slog.NewTextHandler(&h.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func text(from chat.NumberID) chat.Outbound {
	return chat.Outbound{To: "966500000001", From: from, Kind: chat.KindText, Text: "hello"}
}

func TestSendSuccess(t *testing.T) {
	h := newHarness(t)
	h.lim.wait = 30 * time.Millisecond
	wamid, err := h.snd.SendMessage(context.Background(), text("2001"))
	if err != nil || wamid != "wamid.OK" {
		t.Fatalf("SendMessage = %q, %v", wamid, err)
	}
	if len(h.graph.reqs) != 1 {
		t.Fatalf("requests = %d", len(h.graph.reqs))
	}
	r := h.graph.reqs[0]
	if r.Path != "/v25.0/2001/messages" || r.Auth != "Bearer "+campToken || r.Body["to"] != "+966500000001" || r.Body["type"] != "text" {
		t.Errorf("request = %+v", r)
	}
	if got := strings.Join(h.lim.calls, ","); got != "2001@20 max 10s" {
		t.Errorf("limiter calls = %s", got)
	}
	if len(h.sleeps) != 1 || h.sleeps[0] != 30*time.Millisecond {
		t.Errorf("sleeps = %v", h.sleeps)
	}
	if h.obs.String() != "sent 2001 text" || len(h.rec.events) != 0 {
		t.Errorf("observer %q, recorded %v", h.obs, h.rec.events)
	}
	if err := h.snd.Send(context.Background(), text("1001")); err != nil {
		t.Fatal(err)
	}
	if r := h.graph.reqs[1]; r.Auth != "Bearer "+inboxToken || r.Path != "/v25.0/1001/messages" {
		t.Errorf("second request = %+v", r)
	}
}

func TestSendFailures(t *testing.T) {
	tests := []struct {
		name      string
		answers   []answer
		from      chat.NumberID
		setup     func(*harness)
		sentinel  error
		requests  int
		event     chat.EventKind // "" when nothing is recorded
		detail    string         // prefix of the recorded detail
		observed  string
		usable    bool // is 2001 usable afterwards
		errSubstr string
	}{
		{name: "restricted marks the number", answers: []answer{metaError(400, 131048, "Spam rate limit hit")}, from: "2001",
			sentinel: whatsapp.ErrRestricted, requests: 1, event: chat.EventError,
			detail:   "whatsapp error 131048 (restricted): sending text from number 2001: whatsapp graph api: error 131048",
			observed: "failed 2001 131048", usable: false},
		{name: "policy block 368", answers: []answer{metaError(403, 368, "Temporarily blocked for policies violations")}, from: "2001",
			sentinel: whatsapp.ErrRestricted, requests: 1, event: chat.EventError, detail: "whatsapp error 368 (restricted)",
			observed: "failed 2001 368", usable: false},
		{name: "unreachable recipient", answers: []answer{metaError(400, 131026, "Message Undeliverable")}, from: "2001",
			sentinel: whatsapp.ErrUnreachable, requests: 1, event: chat.EventRefused, detail: "whatsapp error 131026 (unreachable)",
			observed: "failed 2001 131026", usable: true},
		{name: "marketing opt-out", answers: []answer{metaError(400, 131050, "User stopped marketing messages")}, from: "2001",
			sentinel: whatsapp.ErrUnreachable, requests: 1, event: chat.EventRefused, detail: "whatsapp error 131050 (unreachable)",
			observed: "failed 2001 131050", usable: true},
		{name: "window closed", answers: []answer{metaError(400, 131047, "Re-engagement message")}, from: "2001",
			sentinel: whatsapp.ErrWindowClosed, requests: 1, event: chat.EventRefused, detail: "whatsapp error 131047 (window_closed)",
			observed: "failed 2001 131047", usable: true},
		{name: "template problem", answers: []answer{metaError(404, 132001, "Template name does not exist in the translation")}, from: "2001",
			sentinel: whatsapp.ErrTemplate, requests: 1, event: chat.EventError, detail: "whatsapp error 132001 (template)",
			observed: "failed 2001 132001", usable: true},
		{name: "back-off retried then given up", answers: []answer{metaError(400, 130429, "Rate limit hit"), metaError(400, 130429, "Rate limit hit")}, from: "2001",
			sentinel: whatsapp.ErrBackOff, requests: 2, event: chat.EventError, detail: "whatsapp error 130429 (back_off)",
			observed: "failed 2001 130429", usable: true},
		{name: "back-off retried then sent", answers: []answer{metaError(400, 131056, "pair rate limit")}, from: "2001",
			requests: 2, observed: "sent 2001 text", usable: true},
		{name: "proxy page echoing the token", answers: []answer{{502, "<html>bad gateway; Authorization: Bearer " + campToken + "</html>"}, {502, "<html>" + campToken + "</html>"}}, from: "2001",
			sentinel: whatsapp.ErrBackOff, requests: 2, event: chat.EventError, detail: "sending text from number 2001: whatsapp graph api: error 0",
			observed: "failed 2001 0", usable: true},
		{name: "unknown number", from: "9999", sentinel: ErrUnknownNumber, event: chat.EventRefused,
			detail: `sending number not in the registry: "9999"`, observed: "refused 9999 unknown number", usable: true},
		{name: "number restricted before sending", from: "2001", setup: func(h *harness) {
			if err := h.reg.MarkRestricted(context.Background(), "2001", "send error 131048"); err != nil {
				panic(err)
			}
		}, sentinel: ErrNumberUnusable, event: chat.EventRefused,
			detail:   "sending number is restricted or banned: number 2001 is restricted (send error 131048)",
			observed: "refused 2001 number restricted or banned", usable: false},
		{name: "throttled", from: "2001", setup: func(h *harness) { h.lim.err = fmt.Errorf("%w: wait 12s", ErrThrottled) },
			sentinel: ErrThrottled, event: chat.EventRefused, detail: "number throughput limit reached: wait 12s",
			observed: "refused 2001 throughput limit", usable: true},
		{name: "limiter down: send anyway", from: "2001", setup: func(h *harness) { h.lim.err = errors.New("redis: connection refused") },
			requests: 1, observed: "sent 2001 text", usable: true},
		{name: "recording fails too", answers: []answer{metaError(400, 131026, "Message Undeliverable")}, from: "2001",
			setup:    func(h *harness) { h.rec.err = errors.New("store down") },
			sentinel: whatsapp.ErrUnreachable, requests: 1, event: chat.EventRefused, detail: "whatsapp error 131026",
			observed: "failed 2001 131026", usable: true, errSubstr: "recording the failed send: store down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.graph.answers = tt.answers
			if tt.setup != nil {
				tt.setup(h)
			}
			msg := text(tt.from)
			wamid, err := h.snd.SendMessage(context.Background(), msg)
			if tt.sentinel == nil {
				if err != nil || wamid == "" {
					t.Fatalf("SendMessage = %q, %v", wamid, err)
				}
			} else if !errors.Is(err, tt.sentinel) {
				t.Fatalf("SendMessage error = %v, want %v", err, tt.sentinel)
			}
			if tt.errSubstr != "" && !strings.Contains(err.Error(), tt.errSubstr) {
				t.Errorf("error %q lacks %q", err, tt.errSubstr)
			}
			if len(h.graph.reqs) != tt.requests {
				t.Errorf("requests = %d, want %d", len(h.graph.reqs), tt.requests)
			}
			if h.obs.String() != tt.observed {
				t.Errorf("observer = %q, want %q", h.obs, tt.observed)
			}
			if got := h.reg.Usable("2001", t0); got != tt.usable {
				t.Errorf("2001 usable = %v, want %v (%+v)", got, tt.usable, h.reg.State("2001"))
			}
			if tt.event == "" {
				if len(h.rec.events) != 0 {
					t.Errorf("recorded %+v", h.rec.events)
				}
			} else {
				if len(h.rec.events) != 1 {
					t.Fatalf("recorded %d events, want 1", len(h.rec.events))
				}
				ev := h.rec.events[0]
				if ev.Kind != tt.event || ev.Contact != "966500000001" || ev.Number != tt.from || !ev.At.Equal(t0) ||
					ev.Outbound == nil || ev.Outbound.Text != "hello" || !strings.HasPrefix(ev.Detail, tt.detail) {
					t.Errorf("recorded %+v (outbound %+v)\nwant kind %s, detail starting %q", ev, ev.Outbound, tt.event, tt.detail)
				}
				// Meta's code and class travel in typed fields, not only in the text.
				typed := fmt.Sprintf("whatsapp error %d (%s)", ev.ErrorCode, ev.ErrorClass)
				if strings.HasPrefix(tt.detail, "whatsapp error ") != (ev.ErrorCode != 0) ||
					(ev.ErrorCode != 0 && !strings.HasPrefix(ev.Detail, typed)) {
					t.Errorf("typed error fields %q, want them to match detail %q", typed, ev.Detail)
				}
			}
			// No secret anywhere.
			all := fmt.Sprint(err) + h.logs.String()
			for _, ev := range h.rec.events {
				all += ev.Detail
			}
			if strings.Contains(all, "secret") {
				t.Errorf("a token leaked: %s", all)
			}
		})
	}
}

func TestRestrictedReason(t *testing.T) {
	h := newHarness(t)
	h.graph.answers = []answer{metaError(400, 131048, "Spam rate limit hit")}
	_, _ = h.snd.SendMessage(context.Background(), text("2001"))
	if got := h.reg.State("2001").Reason; got != "send error 131048: (#131048) Spam rate limit hit" {
		t.Errorf("reason = %q", got)
	}
}

func TestMarkRead(t *testing.T) {
	h := newHarness(t)
	h.graph.answers = []answer{{200, `{"success":true}`}}
	if err := h.snd.MarkRead(context.Background(), "1001", "wamid.IN", true); err != nil {
		t.Fatal(err)
	}
	r := h.graph.reqs[0]
	if r.Path != "/v25.0/1001/messages" || r.Auth != "Bearer "+inboxToken || r.Body["status"] != "read" || r.Body["message_id"] != "wamid.IN" {
		t.Errorf("request = %+v", r)
	}
	if len(h.lim.calls) != 1 {
		t.Errorf("mark-read took no throughput slot: %v", h.lim.calls)
	}
	if err := h.snd.MarkRead(context.Background(), "9", "wamid.IN", false); !errors.Is(err, ErrUnknownNumber) {
		t.Errorf("unknown number: %v", err)
	}
}

func TestNewRequiresClientAndNumbers(t *testing.T) {
	if _, err := New(Options{Numbers: &numbers.Registry{}}); err == nil {
		t.Error("no client accepted")
	}
	if _, err := New(Options{Client: &whatsapp.Client{}}); err == nil {
		t.Error("no numbers accepted")
	}
}

// The sender over the Redis limiter: a burst of sends from one number is paced at its
// throughput, each wait handed to Sleep rather than slept.
func TestSendPacedByRedisLimiter(t *testing.T) {
	h := newHarness(t)
	mr := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	h.snd.opts.Limiter = NewRedisLimiter(c, "wasla", clock.NewManual(t0))
	for range 4 {
		if err := h.snd.Send(context.Background(), text("2001")); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 150 * time.Millisecond} // 20 msg/s
	if fmt.Sprint(h.sleeps) != fmt.Sprint(want) {
		t.Errorf("sleeps = %v, want %v", h.sleeps, want)
	}
}
