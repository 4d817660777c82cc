package health

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
)

// Sink receives the policy's events. Implementations must be safe for concurrent use.
type Sink interface {
	Emit(ctx context.Context, e Event) error
}

// Sinks sends each event to every sink and returns the errors joined.
type Sinks []Sink

// Emit implements Sink.
func (s Sinks) Emit(ctx context.Context, e Event) error {
	var errs []error
	for _, k := range s {
		if err := k.Emit(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("reporting a health event: %w", errors.Join(errs...))
	}
	return nil
}

// LogSink logs events: stops and retirements at Warn (an operator should look), the rest
// at Info. The number is logged in full: it is the business's own, not a contact's.
type LogSink struct{ Log *slog.Logger }

// Emit implements Sink.
func (l LogSink) Emit(ctx context.Context, e Event) error {
	level := slog.LevelInfo
	if e.To == Stopped || e.To == Retired {
		level = slog.LevelWarn
	}
	l.Log.Log(ctx, level, "number health changed", "campaign", e.Campaign, "number", e.Number,
		"from", e.From, "to", e.To, "allowance", e.Allowance, "score", e.Score, "reason", e.Reason)
	return nil
}

// Counters counts events by (number, state reached), ready for a Prometheus collector
// (wasla_number_health_changes_total{number,state}) to read with Each; the server's
// metrics registry stays in the server.
type Counters struct {
	mu sync.Mutex
	n  map[[2]string]int
}

// Emit implements Sink.
func (c *Counters) Emit(_ context.Context, e Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[[2]string]int{}
	}
	c.n[[2]string{e.Number, string(e.To)}]++
	return nil
}

// Each calls f for every (number, state) count.
func (c *Counters) Each(f func(number string, state State, n int)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.n {
		f(k[0], State(k[1]), n)
	}
}

// Webhook posts each event as JSON to the operator's URL, signed like Meta signs its
// webhooks: X-Wasla-Signature-256: sha256=<hex HMAC-SHA256 of the body with Secret>, so
// the receiver can tell a real event from a forged one.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
}

// Sign returns the signature header's value for body.
func (w Webhook) Sign(body []byte) string {
	m := hmac.New(sha256.New, w.Secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Emit implements Sink. A refused or failed post is an error for the caller to report;
// the policy's decision stands either way.
func (w Webhook) Emit(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding a health event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("posting a health event: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Wasla-Signature-256", w.Sign(body))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("posting a health event: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("posting a health event: the operator's webhook answered %s", resp.Status)
	}
	return nil
}
