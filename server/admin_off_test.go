package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasla/wasla/engine"
)

// catchAllInbox is an inbox whose API answers every request 401 like the real one does
// for a request without an agent token.
type catchAllInbox struct{}

func (catchAllInbox) APIRoutes(r chi.Router) {
	r.HandleFunc("/*", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":"sign in with your agent token"}`, http.StatusUnauthorized)
	})
}
func (catchAllInbox) Collectors() []prometheus.Collector { return nil }
func (catchAllInbox) WatchTx(tx engine.Tx) engine.Tx     { return tx }

// Without admin.token the admin routes say the admin API is off (404) instead of the
// inbox's "sign in" answer, while the inbox keeps its own routes.
func TestAdminRoutesOffWithoutToken(t *testing.T) {
	r := newRig(t, func(d *Deps) { d.Inbox = catchAllInbox{} })
	for _, path := range []string{"/api/numbers", "/api/campaigns", "/api/campaigns/c1", "/api/outbox/failed", "/api/intake/dead", "/admin/numbers"} {
		code, body := r.call(t, http.MethodGet, path, "")
		if code != http.StatusNotFound || !strings.Contains(body, AdminOffMessage) {
			t.Errorf("GET %s: %d %q, want 404 saying %q", path, code, body, AdminOffMessage)
		}
		if strings.HasPrefix(path, "/api/") && !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("GET %s: %q is not a JSON error", path, body)
		}
	}
	if code, body := r.call(t, http.MethodGet, "/api/conversations", ""); code != http.StatusUnauthorized {
		t.Errorf("inbox route: %d %q, want the inbox's 401", code, body)
	}
}

// With the admin APIs served, their routes reach them.
func TestAdminRoutesServedWithToken(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("admin")) })
	r := newRig(t, func(d *Deps) {
		d.Inbox = catchAllInbox{}
		d.NumbersAPI, d.CampaignAPI, d.OutboxAPI = ok, ok, ok
	})
	for _, path := range []string{"/api/numbers", "/api/campaigns", "/api/outbox/failed", "/admin/numbers"} {
		if code, body := r.call(t, http.MethodGet, path, ""); code != http.StatusOK || body != "admin" {
			t.Errorf("GET %s: %d %q, want the admin API", path, code, body)
		}
	}
}
