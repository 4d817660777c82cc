package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/sending"
	"github.com/wasla/wasla/store"
)

// scriptedSender fails Attempt with err and records what was given up.
type scriptedSender struct {
	err      error
	attempts int
	recorded []error
}

func (s *scriptedSender) Attempt(context.Context, chat.Outbound) (string, error) {
	s.attempts++
	if s.err != nil {
		return "", s.err
	}
	return "wamid.OK", nil
}

func (s *scriptedSender) RecordFailure(_ context.Context, _ chat.Outbound, err error) error {
	s.recorded = append(s.recorded, err)
	return nil
}

func TestDelivererRetriesWhatMayPass(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	apiErr := func(code, status int) error {
		return fmt.Errorf("sending text: %w", &whatsapp.APIError{Code: code, HTTPStatus: status, Message: "m"})
	}
	tests := []struct {
		name      string
		err       error
		attempt   int
		age       time.Duration // since the reply was committed
		wantRetry bool
		wantFail  bool
		wantClass string // of a failure
		wantCode  int
	}{
		{name: "sent", attempt: 1},
		{name: "connection refused", err: errors.New("posting to graph api: dial tcp: connection refused"), attempt: 1, wantRetry: true},
		{name: "http 503", err: apiErr(0, 503), attempt: 3, wantRetry: true},
		{name: "throughput 130429", err: apiErr(130429, 400), attempt: 1, wantRetry: true},
		{name: "pair rate limit 131056", err: apiErr(131056, 400), attempt: 2, wantRetry: true},
		{name: "our throughput limit", err: fmt.Errorf("%w: waited too long", sending.ErrThrottled), attempt: 1, wantRetry: true},
		{name: "outage longer than the window", err: apiErr(0, 502), attempt: 40, age: 24 * time.Hour, wantFail: true, wantClass: "back_off"},
		{name: "invalid recipient", err: apiErr(131026, 400), attempt: 1, wantFail: true, wantClass: "unreachable", wantCode: 131026},
		{name: "window closed 131047", err: apiErr(131047, 400), attempt: 1, wantFail: true, wantClass: "window_closed", wantCode: 131047},
		{name: "template problem", err: apiErr(132001, 400), attempt: 1, wantFail: true, wantClass: "template", wantCode: 132001},
		{name: "number banned", err: fmt.Errorf("%w: banned", sending.ErrNumberUnusable), attempt: 1, wantFail: true, wantClass: "number_unusable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewManual(t0.Add(tt.age))
			send := &scriptedSender{err: tt.err}
			m := NewMetrics()
			d := &deliverer{send: send, metrics: m, log: slog.New(slog.DiscardHandler), clock: clk,
				For: DefaultDeliverFor, Base: time.Second, Max: time.Minute}
			out := d.deliver(context.Background(), store.Delivery{Contact: "1", Entry: "1-0", Queued: t0, Attempt: tt.attempt,
				Message: chat.Outbound{To: "1", From: "inbox", Kind: chat.KindText, Text: "hi"}})
			if got := !out.RetryAt.IsZero(); got != tt.wantRetry {
				t.Fatalf("retry = %v (%v), want %v", got, out.RetryAt, tt.wantRetry)
			}
			if tt.wantRetry {
				// Capped exponential back-off with jitter: between half and all of the wait.
				full := min(time.Second<<(tt.attempt-1), time.Minute)
				if wait := out.RetryAt.Sub(clk.Now()); wait < full/2 || wait > full {
					t.Errorf("retry in %v, want between %v and %v", wait, full/2, full)
				}
			}
			if got := len(send.recorded) == 1; got != tt.wantFail {
				t.Errorf("recorded failures %v, want one: %v", send.recorded, tt.wantFail)
			}
			if send.attempts != 1 {
				t.Errorf("%d attempts, want 1 per delivery", send.attempts)
			}
			switch {
			case tt.wantFail:
				if out.Failed == nil || out.Failed.Class != tt.wantClass || out.Failed.Code != tt.wantCode {
					t.Errorf("failure %+v, want class %s code %d", out.Failed, tt.wantClass, tt.wantCode)
				}
				want := fmt.Sprintf(`wasla_outbox_failed_total{class=%q,number="inbox"} 1`, tt.wantClass)
				if body := scrape(m); !strings.Contains(body, want) {
					t.Errorf("metrics lack %s", want)
				}
			case out.Failed != nil:
				t.Errorf("failure %+v for a message not given up", out.Failed)
			case !tt.wantRetry && out.Wamid != "wamid.OK":
				t.Errorf("sent with wamid %q, want Meta's", out.Wamid)
			}
		})
	}
}

func scrape(m *Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// An attempt whose predecessor was cut off is counted, so that possible doubles show.
func TestDelivererCountsUnknownOutcomes(t *testing.T) {
	m := NewMetrics()
	d := &deliverer{send: &scriptedSender{}, metrics: m, log: slog.New(slog.DiscardHandler), clock: clock.Real{},
		For: DefaultDeliverFor, Base: time.Second, Max: time.Minute}
	d.deliver(context.Background(), store.Delivery{Attempt: 2, Unknown: 1, Queued: time.Now(),
		Message: chat.Outbound{From: "inbox", Kind: chat.KindText, Text: "hi"}})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`wasla_outbox_attempts_total{number="inbox",result="unknown"} 1`,
		`wasla_outbox_attempts_total{number="inbox",result="sent"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
