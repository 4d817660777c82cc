package server

import (
	"sync"
	"time"

	"github.com/wasla/wasla/clock"
)

// WebhookHealth remembers whether this replica could record what Meta sends: a webhook
// POST answered 500 (the intake, Redis, the status queue failed) or a campaign status
// that could not be applied marks it failing; the next success marks it recovered. The
// campaign runner reads it (runner.Intake): while statuses cannot be recorded it sends
// nothing and holds the sweep of attempts whose outcome is unknown, because their status
// webhooks may be among those lost, and resending them would send twice. It is safe for
// concurrent use.
type WebhookHealth struct {
	clock clock.Clock
	mu    sync.Mutex
	// failing is when the current run of failures began (zero: healthy); recovered when
	// the last run ended (zero: never failed).
	failing, recovered time.Time
	why                string
}

// NewWebhookHealth returns a healthy tracker on clk.
func NewWebhookHealth(clk clock.Clock) *WebhookHealth {
	if clk == nil {
		clk = clock.Real{}
	}
	return &WebhookHealth{clock: clk}
}

// Failed records a failure to record a webhook, with why.
func (h *WebhookHealth) Failed(why string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failing.IsZero() {
		h.failing = h.clock.Now()
	}
	h.why = why
}

// Recorded records a webhook recorded in full.
func (h *WebhookHealth) Recorded() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.failing.IsZero() {
		h.failing, h.recovered, h.why = time.Time{}, h.clock.Now(), ""
	}
}

// IntakeState implements runner.Intake.
func (h *WebhookHealth) IntakeState() (failingSince, recoveredAt time.Time, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failing, h.recovered, h.why
}
