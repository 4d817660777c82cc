package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// AdminOffMessage is what the admin routes answer when no admin token is configured, so a
// new user learns which key turns them on instead of reading the inbox's "sign in" answer.
const AdminOffMessage = "the admin API is off: set admin.token in the configuration"

// adminOff answers 404 with AdminOffMessage on every admin route whose API is not served
// (build leaves them all nil without admin.token).
func (s *Server) adminOff(r chi.Router) {
	off := http.HandlerFunc(adminOffHandler)
	if s.d.CampaignAPI == nil {
		r.Handle("/api/campaigns", off)
		r.Handle("/api/campaigns/*", off)
	}
	if s.d.OutboxAPI == nil {
		r.Handle("/api/outbox", off)
		r.Handle("/api/outbox/*", off)
		r.Handle("/api/intake", off)
		r.Handle("/api/intake/*", off)
	}
	if s.d.NumbersAPI == nil {
		r.Handle("/api/numbers", off)
		r.Handle("/admin/numbers", off)
		r.Handle("/admin/numbers/*", off)
	}
}

// adminOffHandler answers JSON under /api (like the other APIs) and plain text elsewhere
// (the admin page is opened in a browser).
func adminOffHandler(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/") {
		http.Error(w, AdminOffMessage, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{AdminOffMessage})
}
