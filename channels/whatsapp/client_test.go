package whatsapp

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
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

const (
	testToken  = "EAAJB-secret-token-must-not-leak"
	testNumber = chat.NumberID("106540352242922")
)

// graphReply is one scripted answer of the fake Graph API.
type graphReply struct {
	status int
	body   string
}

// fakeGraph is a Graph API stand-in that checks every request against Meta's documented
// shape and answers from a script (the last reply repeats).
type fakeGraph struct {
	t       *testing.T
	mu      sync.Mutex
	replies []graphReply
	bodies  [][]byte
}

func (g *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Method != http.MethodPost {
		g.t.Errorf("method = %s, want POST", r.Method)
	}
	if r.URL.Path != "/v25.0/106540352242922/messages" {
		g.t.Errorf("path = %s, want /v25.0/106540352242922/messages", r.URL.Path)
	}
	if r.URL.RawQuery != "" {
		g.t.Errorf("query = %q, want none (the token belongs in the header)", r.URL.RawQuery)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		g.t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		g.t.Errorf("Content-Type = %q", got)
	}
	body, _ := io.ReadAll(r.Body)
	var shape map[string]any
	if err := json.Unmarshal(body, &shape); err != nil {
		g.t.Errorf("body is not JSON: %s", body)
	}
	if shape["messaging_product"] != "whatsapp" {
		g.t.Errorf("messaging_product = %v", shape["messaging_product"])
	}
	g.bodies = append(g.bodies, body)
	reply := g.replies[min(len(g.bodies), len(g.replies))-1]
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(reply.status)
	io.WriteString(w, reply.body)
}

func (g *fakeGraph) requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.bodies)
}

// recordedSleep replaces the real wait: it records the waits and returns at once.
type recordedSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *recordedSleep) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

func newTestClient(t *testing.T, replies ...graphReply) (*Client, *fakeGraph, *recordedSleep, *bytes.Buffer) {
	t.Helper()
	g := &fakeGraph{t: t, replies: replies}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	sleeps := &recordedSleep{}
	logs := &bytes.Buffer{}
	c := &Client{
		BaseURL: srv.URL,
		Version: "v25.0",
		HTTP:    srv.Client(),
		Retry: RetryPolicy{
			Attempts: 4, Base: time.Second, Factor: 4, Max: 10 * time.Second,
			Jitter: func(d time.Duration) time.Duration { return d }, // deterministic
			Sleep:  sleeps.sleep,
		},
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return c, g, sleeps, logs
}

const (
	okSend = `{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NzVFRkQwMzlBNEE0MkFBNDQA"}]}`
	// Shapes of Meta's error answers (Graph API error object, error_data.details).
	rateLimited  = `{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_data":{"messaging_product":"whatsapp","details":"Cloud API message throughput has been reached."},"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}`
	windowClosed = `{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."},"fbtrace_id":"AbCdEfGh123"}}`
	locked       = `{"error":{"message":"(#131031) Business Account locked","type":"OAuthException","code":131031,"error_subcode":2494100,"error_data":{"messaging_product":"whatsapp","details":"Account has been locked"},"fbtrace_id":"Xyz"}}`
)

func TestClientSend(t *testing.T) {
	c, g, sleeps, _ := newTestClient(t, graphReply{200, okSend})
	msg := chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "Hi & welcome",
		ReplyTo: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="}
	wamid, err := c.Send(context.Background(), testNumber, testToken, msg)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if wamid != "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NzVFRkQwMzlBNEE0MkFBNDQA" {
		t.Errorf("wamid = %q", wamid)
	}
	want, _ := BuildMessage(msg)
	if g.requests() != 1 || !bytes.Equal(g.bodies[0], want) {
		t.Errorf("request body = %s\nwant %s", g.bodies, want)
	}
	if len(sleeps.waits) != 0 {
		t.Errorf("slept %v on success", sleeps.waits)
	}
}

func TestClientRetriesBackOff(t *testing.T) {
	c, g, sleeps, logs := newTestClient(t,
		graphReply{400, rateLimited},
		graphReply{503, `<html>Service Unavailable</html>`},
		graphReply{200, okSend})
	wamid, err := c.Send(context.Background(), testNumber, testToken, chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "hi"})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if wamid == "" || g.requests() != 3 {
		t.Errorf("wamid %q after %d requests, want 3 requests", wamid, g.requests())
	}
	if want := []time.Duration{time.Second, 4 * time.Second}; !slices.Equal(sleeps.waits, want) {
		t.Errorf("waits = %v, want %v", sleeps.waits, want)
	}
	if !strings.Contains(logs.String(), "backing off") {
		t.Errorf("no debug log of the retry: %s", logs)
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("token in logs: %s", logs)
	}
}

func TestClientGivesUpAfterAttempts(t *testing.T) {
	c, g, sleeps, _ := newTestClient(t, graphReply{502, `<html>Bad Gateway</html>`})
	_, err := c.Send(context.Background(), testNumber, testToken, chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "hi"})
	var api *APIError
	if !errors.As(err, &api) || api.HTTPStatus != 502 || api.Class() != ClassBackOff {
		t.Fatalf("err = %#v, want *APIError with http 502 and class back_off", err)
	}
	if g.requests() != 4 {
		t.Errorf("%d requests, want 4", g.requests())
	}
	if want := []time.Duration{time.Second, 4 * time.Second, 10 * time.Second}; !slices.Equal(sleeps.waits, want) {
		t.Errorf("waits = %v, want %v (capped at Max)", sleeps.waits, want)
	}
	if !errors.Is(err, ErrBackOff) || !IsBackOff(err) {
		t.Errorf("back-off predicates false for %v", err)
	}
}

func TestClientDoesNotRetryOtherClasses(t *testing.T) {
	tests := []struct {
		name  string
		reply graphReply
		class Class
		is    error
		check func(*APIError) bool
	}{
		{"window closed", graphReply{400, windowClosed}, ClassWindowClosed, ErrWindowClosed, func(e *APIError) bool {
			return e.Code == 131047 && e.Type == "OAuthException" && e.FBTraceID == "AbCdEfGh123" && strings.Contains(e.Details, "24 hours")
		}},
		{"locked account", graphReply{403, locked}, ClassRestricted, ErrRestricted, func(e *APIError) bool {
			return e.Code == 131031 && e.Subcode == 2494100 && e.HTTPStatus == 403
		}},
		{"bad parameter", graphReply{400, `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"A"}}`}, ClassOther, nil, func(e *APIError) bool {
			return e.Code == 100
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, g, sleeps, _ := newTestClient(t, tt.reply)
			_, err := c.Send(context.Background(), testNumber, testToken, chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "hi"})
			var api *APIError
			if !errors.As(err, &api) || !tt.check(api) {
				t.Fatalf("err = %#v", err)
			}
			if api.Class() != tt.class || ClassOf(err) != tt.class {
				t.Errorf("class = %v, want %v", api.Class(), tt.class)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
			if errors.Is(err, ErrBackOff) {
				t.Error("non-back-off error matches ErrBackOff")
			}
			if g.requests() != 1 || len(sleeps.waits) != 0 {
				t.Errorf("%d requests, waits %v: want exactly one try", g.requests(), sleeps.waits)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("token in error: %v", err)
			}
		})
	}
}

func TestClientContextCancelledWhileWaiting(t *testing.T) {
	c, g, _, _ := newTestClient(t, graphReply{400, rateLimited})
	ctx, cancel := context.WithCancel(context.Background())
	c.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return clock.Sleep(ctx, d) // returns at once: ctx is done
	}
	_, err := c.Send(ctx, testNumber, testToken, chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "hi"})
	if !errors.Is(err, context.Canceled) || !IsBackOff(err) {
		t.Fatalf("err = %v, want context.Canceled wrapping the last back-off error", err)
	}
	if g.requests() != 1 {
		t.Errorf("%d requests after cancel, want 1", g.requests())
	}
}

func TestClientNetworkErrorNotRetriedAndNoToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	sleeps := &recordedSleep{}
	c := &Client{BaseURL: url, Retry: RetryPolicy{Sleep: sleeps.sleep}}
	_, err := c.Send(context.Background(), testNumber, testToken, chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "hi"})
	if err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("token in error: %v", err)
	}
	if len(sleeps.waits) != 0 {
		t.Errorf("network error retried (waits %v): a retry could send twice", sleeps.waits)
	}
}

func TestClientRedactsEchoedToken(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"proxy page", "<html>bad request; Authorization: Bearer " + testToken + "</html>"},
		// Meta's error JSON whose texts echo the request headers (issue 9).
		{"graph error json", `{"error":{"message":"Invalid request {\"Authorization\":\"Bearer ` + testToken + `\"}","type":"OAuthException ` + testToken + `","code":100,"error_data":{"details":"headers: Authorization: Bearer ` + testToken + `"},"fbtrace_id":"` + testToken + `"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _, _, logs := newTestClient(t, graphReply{400, tc.body})
			_, err := c.Send(context.Background(), testNumber, testToken, chat.Outbound{To: "16505551234", Kind: chat.KindText, Text: "hi"})
			if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "[redacted]") {
				t.Fatalf("err = %v, want the echoed token redacted", err)
			}
			if api, ok := errors.AsType[*APIError](err); ok && strings.Contains(fmt.Sprintf("%+v", *api), testToken) {
				t.Errorf("APIError fields hold the token: %+v", *api)
			}
			if strings.Contains(logs.String(), testToken) {
				t.Errorf("log holds the token:\n%s", logs)
			}
		})
	}
}

func TestClientMarkRead(t *testing.T) {
	c, g, _, _ := newTestClient(t, graphReply{200, `{"success":true}`})
	if err := c.MarkRead(context.Background(), testNumber, testToken, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", true); err != nil {
		t.Fatalf("MarkRead: %v", err)
	}
	want := `{"messaging_product":"whatsapp","status":"read","message_id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=","typing_indicator":{"type":"text"}}`
	if string(g.bodies[0]) != want {
		t.Errorf("body = %s\nwant %s", g.bodies[0], want)
	}

	c2, _, _, _ := newTestClient(t, graphReply{200, `{"success":false}`})
	if err := c2.MarkRead(context.Background(), testNumber, testToken, "wamid.X", false); err == nil {
		t.Error("success:false accepted")
	}
}

func TestClientRefusesBeforeSending(t *testing.T) {
	c, g, _, _ := newTestClient(t, graphReply{200, okSend})
	if _, err := c.Send(context.Background(), testNumber, testToken, chat.Outbound{To: "1", Kind: chat.KindButtons, Text: "x"}); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("invalid message: %v", err)
	}
	if _, err := c.Send(context.Background(), "", testToken, chat.Outbound{To: "1", Kind: chat.KindText, Text: "x"}); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("no number: %v", err)
	}
	if _, err := c.Send(context.Background(), testNumber, "", chat.Outbound{To: "1", Kind: chat.KindText, Text: "x"}); err == nil {
		t.Error("no token accepted")
	}
	if g.requests() != 0 {
		t.Errorf("%d requests for refused messages", g.requests())
	}
}

func TestClientMessagesURL(t *testing.T) {
	tests := []struct {
		c    Client
		want string
	}{
		{Client{}, "https://graph.facebook.com/v25.0/106540352242922/messages"},
		{Client{BaseURL: "http://127.0.0.1:9/graph/", Version: "v23.0"}, "http://127.0.0.1:9/graph/v23.0/106540352242922/messages"},
	}
	for _, tt := range tests {
		if got := tt.c.MessagesURL(testNumber); got != tt.want {
			t.Errorf("MessagesURL = %s, want %s", got, tt.want)
		}
	}
}

func TestRetryDelayAndJitter(t *testing.T) {
	p := RetryPolicy{Base: 500 * time.Millisecond, Factor: 2, Max: 3 * time.Second}
	var got []time.Duration
	for retry := 1; retry <= 5; retry++ {
		got = append(got, p.Delay(retry))
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	if !slices.Equal(got, want) {
		t.Errorf("delays = %v, want %v", got, want)
	}
	for range 1000 {
		if j := halfJitter(4 * time.Second); j < 2*time.Second || j > 4*time.Second {
			t.Fatalf("jitter %v outside [2s, 4s]", j)
		}
	}
}

func TestNewHTTPClientKeepsConcurrentConnectionsAlive(t *testing.T) {
	hc := NewHTTPClient()
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T, want *http.Transport", hc.Transport)
	}
	if tr.MaxIdleConnsPerHost < 256 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost || !tr.ForceAttemptHTTP2 || hc.Timeout == 0 {
		t.Errorf("idle per host %d, idle %d, http2 %v, timeout %v: concurrent sends would reopen connections",
			tr.MaxIdleConnsPerHost, tr.MaxIdleConns, tr.ForceAttemptHTTP2, hc.Timeout)
	}
}
