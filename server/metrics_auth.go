package server

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// metricsRoute says where /metrics is served, from Deps:
//
//   - MetricsAddr set: on that address only (a port the load balancer does not expose),
//     and with MetricsToken also checked when one is set;
//   - MetricsToken set: on the main address, to requests bearing the token;
//   - neither: nowhere. Metrics name the business numbers and their states, and cost
//     work per scrape: they are not for the public internet the webhook faces.
func (s *Server) metricsHandler() http.Handler {
	h := s.metrics.Handler()
	if s.d.MetricsToken == "" {
		return h
	}
	want := []byte("Bearer " + s.d.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		// The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
		if scheme, tok, ok := strings.Cut(got, " "); ok && strings.EqualFold(scheme, "bearer") {
			got = "Bearer " + tok
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the bearer token of metrics.token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// metricsOnMain reports whether /metrics is served on the main (webhook) address.
func (s *Server) metricsOnMain() bool { return s.d.MetricsAddr == "" && s.d.MetricsToken != "" }
