package server

import (
	"log/slog"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
)

// stale reports whether an event stamped at is older than the replay window: a signed
// webhook captured and posted again after the message ids were forgotten (the dedupe
// period) would otherwise be answered a second time. Meta retries a delivery for at most
// seven days, the default window, so a genuine delivery is never this old. A zero window
// or a zero time (an event without timestamp) is never stale.
func (s *Server) stale(at time.Time) bool {
	return s.d.ReplayWindow > 0 && !at.IsZero() && s.now().Sub(at) > s.d.ReplayWindow
}

// dropStale counts and logs (throttled) an event refused as a replay.
func (s *Server) dropStale(ev whatsapp.Event, at time.Time) {
	s.metrics.stale.WithLabelValues(string(ev.Type())).Inc()
	s.warnRefused.Warn("webhook event refused: older than the replay window",
		slog.String("type", string(ev.Type())), slog.Time("event_time", at), slog.Duration("window", s.d.ReplayWindow))
}
