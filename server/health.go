package server

import (
	"context"
	"net/http"
	"time"
)

// healthz says the process is up; it does no I/O, so a slow Redis never gets the process
// restarted.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says the server can take webhooks: Redis answers PING and accepts a write, and
// flows are loaded. It
// answers 503 while shutting down, so a load balancer stops sending before the listener
// closes.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("shutting down\n"))
		return
	}
	if !s.ready.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("flows not loaded\n"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.d.Redis.Ping(ctx); err != nil {
		s.warnStatus.Warn("readiness: redis does not answer or refuses writes", "error", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("redis not reachable or refusing writes\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}
