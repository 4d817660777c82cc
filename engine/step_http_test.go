package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// seenRequest is what a fake endpoint received.
type seenRequest struct {
	method, url string
	header      http.Header
	body        string
	deadline    time.Duration // left until the request's deadline when it was sent
}

// endpoint is a fake HTTP endpoint: it records requests and answers each with the next
// of its answers (the last one repeats).
type endpoint struct {
	mu      sync.Mutex
	seen    []seenRequest
	answers []func() (*http.Response, error)
}

func (e *endpoint) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	dl, _ := r.Context().Deadline()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, seenRequest{r.Method, r.URL.String(), r.Header.Clone(), string(body), time.Until(dl)})
	i := min(len(e.seen), len(e.answers)) - 1
	return e.answers[i]()
}

func answer(status int, body string) func() (*http.Response, error) {
	return func() (*http.Response, error) {
		return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

const bookingFlow = `flow: book
triggers: [{keywords: [book]}]
steps:
  - http:
      post: "https://clinic.example/api/bookings?source=wa"
      headers:
        Authorization: "Bearer {{ vars.token }}"
        X-Contact: "{{ contact.id }}"
      body:
        name: "{{ vars.name }}"
        note: "Dr. {{ vars.name }} at {{ vars.slot }}"
        slot: "{{ vars.slot }}"
        confirmed: true
    save: booking
    on_error: failed
  - say: "booked {{ vars.booking.id }} ({{ vars.booking_status }})"
  - end: true
  - id: failed
    say: "failed: {{ vars.booking_error }} ({{ vars.booking_status }})"
`

// TestHTTPPostSendsRenderedBodyAndHeaders pins the request a mapping body and header
// templates make: JSON with every value quoted and escaped, whatever the variables hold.
func TestHTTPPostSendsRenderedBodyAndHeaders(t *testing.T) {
	ep := &endpoint{answers: []func() (*http.Response, error){answer(201, `{"id": "B-7"}`)}}
	h := newHarness(t, map[string]string{"book.yaml": bookingFlow}, engine.Options{HTTP: ep})
	seedVars(t, h, map[string]any{"name": `Sara "the boss" O'Neil`, "slot": 9, "token": "s3cret"})
	expect(t, "reply", h.say("book"), "booked B-7 (201)")
	if len(ep.seen) != 1 {
		t.Fatalf("%d requests, want 1", len(ep.seen))
	}
	req := ep.seen[0]
	if req.method != "POST" || req.url != "https://clinic.example/api/bookings?source=wa" {
		t.Errorf("request %s %s", req.method, req.url)
	}
	for k, want := range map[string]string{
		"Content-Type": "application/json", "Accept": "application/json",
		"Authorization": "Bearer s3cret", "X-Contact": "966500000001",
	} {
		if got := req.header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(req.body), &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", req.body, err)
	}
	want := map[string]any{"name": `Sara "the boss" O'Neil`, "note": `Dr. Sara "the boss" O'Neil at 9`, "slot": float64(9), "confirmed": true}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("body = %v\nwant %v", body, want)
	}
	if vars := h.state().Session.Vars; vars["booking_error"] != nil {
		t.Errorf("booking_error = %v after a success", vars["booking_error"])
	}
}

func TestHTTPOutcomes(t *testing.T) {
	const flow = `flow: track
triggers: [{keywords: [track]}]
steps:
  - http: {get: "https://carrier.example/v1/track/{{ vars.no }}"}
    save: shipment
    on_error: report
  - id: report
    say: "{{ vars.shipment_status ?? 0 }} {{ vars.shipment ?? \"nothing\" }} {{ vars.shipment_error ?? \"ok\" }}"
`
	cases := []struct {
		name    string
		answers []func() (*http.Response, error)
		want    []string // replies to two lookups in a row
	}{
		{"JSON, then text", []func() (*http.Response, error){answer(200, `"on its way"`), answer(200, `not json`)},
			[]string{"200 on its way ok", "200 not json ok"}},
		// A failure leaves no answer from an earlier call behind.
		{"found, then not found", []func() (*http.Response, error){answer(200, `"on its way"`), answer(404, `{"error": "unknown"}`)},
			[]string{"200 on its way ok", "404 nothing GET https://carrier.example/v1/track/42: status 404"}},
		{"found, then no connection", []func() (*http.Response, error){answer(200, `"on its way"`), func() (*http.Response, error) { return nil, errors.New("connection refused") }},
			[]string{"200 on its way ok", "0 nothing GET https://carrier.example/v1/track/42: connection refused"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := &endpoint{answers: c.answers}
			h := newHarness(t, map[string]string{"track.yaml": flow}, engine.Options{HTTP: ep})
			seedVars(t, h, map[string]any{"no": 42})
			expect(t, "first lookup", h.say("track"), c.want[0])
			expect(t, "second lookup", h.say("track"), c.want[1])
		})
	}
}

// TestHTTPWithoutSave pins where an http step without save reports its failure.
func TestHTTPWithoutSave(t *testing.T) {
	const flow = `flow: ping
triggers: [{keywords: [ping]}]
steps:
  - http: {delete: "https://shop.example/api/cart"}
    on_error: failed
  - end: "done"
  - id: failed
    say: "{{ vars.http_error }}"
`
	ep := &endpoint{answers: []func() (*http.Response, error){answer(500, ``)}}
	h := newHarness(t, map[string]string{"ping.yaml": flow}, engine.Options{HTTP: ep})
	expect(t, "reply", h.say("ping"), "DELETE https://shop.example/api/cart: status 500")
}

// TestHTTPTimeoutDefault checks that an http step without a timeout gets the settings'
// http_timeout, and one with a timeout its own.
func TestHTTPTimeoutDefault(t *testing.T) {
	cases := []struct {
		name, settings, step string
		want                 time.Duration
	}{
		{"built-in default", "", "", 5 * time.Second},
		{"settings", "settings:\n  http_timeout: 12s\n", "", 12 * time.Second},
		{"the step's own", "settings:\n  http_timeout: 12s\n", ", timeout: 2s", 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"ping.yaml": "flow: ping\ntriggers: [{fallback: true}]\nsteps:\n  - http: {get: \"https://x.example/\"" + c.step + "}\n"}
			if c.settings != "" {
				files["settings.yaml"] = c.settings
			}
			ep := &endpoint{answers: []func() (*http.Response, error){answer(200, `{}`)}}
			h := newHarness(t, files, engine.Options{HTTP: ep})
			h.say("x")
			if len(ep.seen) != 1 {
				t.Fatalf("%d requests, want 1", len(ep.seen))
			}
			if left := ep.seen[0].deadline; left > c.want || left < c.want-time.Second {
				t.Errorf("request deadline in %v, want about %v", left, c.want)
			}
		})
	}
}

// seedVars stores variables for the harness's contact before the conversation starts.
func seedVars(t *testing.T, h *harness, vars map[string]any) {
	t.Helper()
	st := h.state()
	st.Contact.ID = "966500000001"
	st.Session.Vars = vars
	if err := h.store.Commit(t.Context(), st, []chat.Event{}); err != nil {
		t.Fatal(err)
	}
}
