package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// TestWebhookRefusedPastTheHardBound: past the refuse bound of the intake depth or of the
// reply lag, a share of webhooks rising to all at twice the bound is answered 503 with
// Retry-After and nothing of them is pushed; below it, and once the lag is stale, all are
// accepted again.
func TestWebhookRefusedPastTheHardBound(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	r := newRig(t, func(d *Deps) {
		d.Clock = clk
		d.RefuseDepth = 10
		d.RefuseLag = time.Minute
	})
	body := sample(t, "text.json")
	sig := whatsapp.Sign(secret, body)
	post := func() (int, http.Header) {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(string(body)))
		req.Header.Set(whatsapp.SignatureHeader, sig)
		w := httptest.NewRecorder()
		r.srv.Handler().ServeHTTP(w, req)
		return w.Code, w.Header()
	}
	for _, tt := range []struct {
		name  string
		depth int64
		lag   time.Duration
		draw  float64 // the random draw against the share to refuse
		want  int
	}{
		{"below both bounds", 9, 59 * time.Second, 0, http.StatusOK},
		{"intake depth at twice its bound", 20, 0, 0.999, http.StatusServiceUnavailable},
		{"reply lag at twice its bound", 0, 2 * time.Minute, 0.999, http.StatusServiceUnavailable},
		{"half way: a draw under the share of one half", 15, 0, 0.49, http.StatusServiceUnavailable},
		{"half way: a draw over it", 15, 0, 0.51, http.StatusOK},
		{"lag half way, draw over", 0, 90 * time.Second, 0.51, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.intake.Pushed())
			r.srv.backlog.setDepth(tt.depth)
			r.srv.backlog.observeLag(tt.lag)
			r.srv.backlog.draw = func() float64 { return tt.draw }
			code, h := post()
			if code != tt.want {
				t.Fatalf("POST = %d, want %d", code, tt.want)
			}
			pushed := len(r.intake.Pushed()) - before
			if code == http.StatusOK && pushed != 1 || code != http.StatusOK && pushed != 0 {
				t.Errorf("POST answered %d pushed %d messages", code, pushed)
			}
			if code == http.StatusServiceUnavailable && h.Get("Retry-After") != "30" {
				t.Errorf("Retry-After = %q, want 30", h.Get("Retry-After"))
			}
		})
	}
	// A lag nobody observed for a second is no backlog: the senders have nothing to send.
	r.srv.backlog.setDepth(0)
	r.srv.backlog.observeLag(time.Hour)
	r.srv.backlog.draw = func() float64 { return 0 }
	clk.Advance(lagStale + time.Millisecond)
	if code, _ := post(); code != http.StatusOK {
		t.Errorf("POST with a stale lag = %d, want 200", code)
	}
	_, metrics := r.get(t, "/metrics")
	for _, want := range []string{`wasla_webhook_refused_total{reason="backlog"} 3`, `wasla_webhook_requests_total{code="503",method="POST"} 3`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestWebhookRefusedWhenNoHandlerSlot: with every handler slot taken, a POST waits its
// bounded time and is refused 503, so a flood of POSTs cannot take the workers' CPU.
func TestWebhookRefusedWhenNoHandlerSlot(t *testing.T) {
	r := newRig(t, func(d *Deps) { d.WebhookConcurrency = 1 })
	r.srv.slots.wait = time.Millisecond
	r.srv.slots.c <- struct{}{} // a POST in flight holds the only slot
	body := sample(t, "text.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != http.StatusServiceUnavailable {
		t.Fatalf("POST without a slot = %d, want 503", code)
	}
	r.srv.slots.release()
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != http.StatusOK {
		t.Fatalf("POST with a free slot = %d, want 200", code)
	}
	if _, metrics := r.get(t, "/metrics"); !strings.Contains(metrics, `wasla_webhook_refused_total{reason="busy"} 1`) {
		t.Error("the busy refusal was not counted")
	}
}

// countingMarker counts marks as read.
type countingMarker struct{ calls chan string }

func (m *countingMarker) MarkRead(_ context.Context, _ chat.NumberID, id string) error {
	m.calls <- id
	return nil
}

// TestMarkReadShedWhenRepliesLag: past the shed bound of the reply lag, messages are still
// handled but not marked read: the number's throughput goes to the replies.
func TestMarkReadShedWhenRepliesLag(t *testing.T) {
	mark := &countingMarker{calls: make(chan string, 4)}
	r := newRig(t, func(d *Deps) { d.MarkRead = mark; d.ShedLag = 5 * time.Second })
	in := chat.Inbound{ID: "wamid.1", Contact: "966500000001", Number: "inbox", Kind: chat.KindText, Text: "hi"}
	r.srv.backlog.observeLag(5 * time.Second)
	if err := r.srv.handle(context.Background(), nil, in); err != nil {
		t.Fatal(err)
	}
	r.srv.marking.Wait()
	if len(mark.calls) != 0 || len(r.engine.Received()) != 1 {
		t.Fatalf("with replies lagging: %d marks, %d handled; want 0 and 1", len(mark.calls), len(r.engine.Received()))
	}
	r.srv.backlog.observeLag(time.Second)
	in.ID = "wamid.2"
	if err := r.srv.handle(context.Background(), nil, in); err != nil {
		t.Fatal(err)
	}
	r.srv.marking.Wait()
	if len(mark.calls) != 1 {
		t.Fatalf("with replies on time: %d marks, want 1", len(mark.calls))
	}
}

// TestRefuseFollowsTheIntakeBetweenDepthReads: the depth is read from Redis seconds
// apart; between reads the messages this process pushed and handled move the figure the
// push-back judges by, so a flood is refused within milliseconds, not at the next read.
func TestRefuseFollowsTheIntakeBetweenDepthReads(t *testing.T) {
	r := newRig(t, func(d *Deps) { d.RefuseDepth = 3 })
	r.srv.backlog.draw = func() float64 { return 0 } // refuse whatever the share past the bound
	r.srv.backlog.setDepth(1)
	body := sample(t, "text.json")
	sig := whatsapp.Sign(secret, body)
	for i := range 2 {
		if code, _ := r.post(t, body, sig); code != http.StatusOK {
			t.Fatalf("POST %d with the intake below its bound = %d, want 200", i+1, code)
		}
	}
	if code, _ := r.post(t, body, sig); code != http.StatusServiceUnavailable {
		t.Fatalf("POST with 1 read + 2 pushed = %d, want 503", code)
	}
	r.srv.backlog.handled()
	if code, _ := r.post(t, body, sig); code != http.StatusOK {
		t.Fatalf("POST after a message was handled = %d, want 200", code)
	}
	r.srv.backlog.setDepth(0) // a fresh read replaces the estimate
	if got := r.srv.backlog.intakeDepth(); got != 0 {
		t.Errorf("depth after a fresh read = %d, want 0", got)
	}
}
