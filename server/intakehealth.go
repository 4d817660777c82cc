package server

import (
	"sync"
	"time"

	"github.com/wasla/wasla/clock"
)

// WebhookHealth remembers whether this replica could record what Meta sends: a webhook
// POST answered 500 (the intake, Redis, the status queue failed) or a campaign status
// that could not be applied marks it failing; a success once no failure came for
// WebhookSettle marks it recovered (so a flapping intake does not let sends through
// between two failures). The
// campaign runner reads it (runner.Intake): while statuses cannot be recorded it sends
// nothing and holds the sweep of attempts whose outcome is unknown, because their status
// webhooks may be among those lost, and resending them would send twice. It is safe for
// concurrent use.
type WebhookHealth struct {
	clock clock.Clock
	mu    sync.Mutex
	// failing is when the current run of failures began (zero: healthy), last the latest
	// failure; recovered is when the last run ended (zero: never failed).
	failing, last, recovered time.Time
	why                      string
}

// WebhookSettle is how long webhooks must be recorded without a failure before a run of
// failures counts as over.
const WebhookSettle = 10 * time.Second

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
	now := h.clock.Now()
	if h.failing.IsZero() {
		h.failing = now
	}
	h.last, h.why = now, why
}

// Recorded records a webhook recorded in full.
func (h *WebhookHealth) Recorded() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.clock.Now(); !h.failing.IsZero() && now.Sub(h.last) >= WebhookSettle {
		h.failing, h.recovered, h.why = time.Time{}, now, ""
	}
}

// IntakeState implements runner.Intake.
func (h *WebhookHealth) IntakeState() (failingSince, recoveredAt time.Time, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failing, h.recovered, h.why
}
