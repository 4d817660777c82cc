package runner

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wasla/wasla/adminauth"
	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/flows/expr"
)

// API is the admin HTTP API under /api/campaigns (docs/campaigns.openapi.yaml): list,
// status, start (a campaign file on the server's disk), pause, resume, cancel. Every
// request needs the admin bearer token; the token is compared in constant time and never
// logged.
type API struct {
	Control *Control
	Token   string
	OptOuts audience.OptOuts
	Now     func() time.Time
	Logger  *slog.Logger
	// Contacts and Budget serve campaigns whose audience is chosen by expression over the
	// stored contacts (nil Contacts: such a campaign cannot start here).
	Contacts StoredContacts
	Budget   *expr.Budget
}

// Routes are the API's method and path patterns; the OpenAPI file documents each.
var Routes = []string{
	"GET /api/campaigns",
	"POST /api/campaigns",
	"GET /api/campaigns/{name}",
	"POST /api/campaigns/{name}/pause",
	"POST /api/campaigns/{name}/resume",
	"POST /api/campaigns/{name}/cancel",
}

// Handler returns the API's handler.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	handlers := []http.HandlerFunc{a.list, a.start, a.status, a.op("pause"), a.op("resume"), a.op("cancel")}
	for i, r := range Routes {
		mux.HandleFunc(r, handlers[i])
	}
	return a.auth(mux)
}

func (a *API) auth(next http.Handler) http.Handler { return adminauth.Require(a.Token, a.Logger, next) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (a *API) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNoCampaign):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrState):
		writeError(w, http.StatusConflict, err.Error())
	default:
		if a.Logger != nil {
			a.Logger.Error("admin API request failed", slog.Any("error", err))
		}
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	reports, err := Reports(r.Context(), a.Control)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, reports)
}

// Reports returns every campaign's report.
func Reports(ctx context.Context, c *Control) ([]Report, error) {
	recs, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Report, 0, len(recs))
	for _, rec := range recs {
		rep, err := c.Status(ctx, rec.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, rep)
	}
	return out, nil
}

func (a *API) status(w http.ResponseWriter, r *http.Request) {
	rep, err := a.Control.Status(r.Context(), r.PathValue("name"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (a *API) op(op string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Reason string `json:"reason"`
		}
		_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body)
		if body.Reason == "" {
			body.Reason = op + "d over the admin API"
		}
		if _, err := a.Control.Set(r.Context(), r.PathValue("name"), op, body.Reason); err != nil {
			a.fail(w, err)
			return
		}
		a.status(w, r)
	}
}

// start loads a campaign file from the server's disk, imports its audience and starts it.
func (a *API) start(w http.ResponseWriter, r *http.Request) {
	var body struct {
		File string `json:"file"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil || body.File == "" {
		writeError(w, http.StatusBadRequest, `want {"file": "path of a campaign file on the server"}`)
		return
	}
	rep, diags, err := StartWith(r.Context(), a.Control, body.File, StartOptions{OptOuts: a.OptOuts, Contacts: a.Contacts, Budget: a.Budget}, a.Now())
	if diags != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": "the campaign file has problems", "problems": strings.Split(strings.TrimSpace(diags.Error()), "\n")})
		return
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, rep)
}
