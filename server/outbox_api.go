package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/wasla/wasla/adminauth"
	"github.com/wasla/wasla/store"
)

// FailedReplies is what the outbox admin API works on; *store.Redis has it.
type FailedReplies interface {
	FailedMessages(ctx context.Context, fn func(store.FailedMessage) error) error
	RetryFailed(ctx context.Context, id string) (store.FailedMessage, error)
	DropFailed(ctx context.Context, id string) (store.FailedMessage, error)
}

// DeadLetters is what the dead-letter admin API works on; *store.Intake has it.
type DeadLetters interface {
	ListDeadLetters(ctx context.Context, fn func(store.ListedDeadLetter) error) error
	ReplayDeadLetter(ctx context.Context, id string) (store.ListedDeadLetter, error)
	DropDeadLetter(ctx context.Context, id string) (store.ListedDeadLetter, error)
}

// OutboxRoutes are the outbox admin API's method and path patterns: the failed replies,
// then the dead letters (docs/outbox.openapi.yaml documents each).
var OutboxRoutes = []string{
	"GET /api/outbox/failed",
	"POST /api/outbox/failed/{id}/retry",
	"POST /api/outbox/failed/{id}/drop",
	"GET /api/intake/dead",
	"POST /api/intake/dead/{id}/replay",
	"POST /api/intake/dead/{id}/drop",
}

// outboxAPI serves an operator what did not get through: the failed replies (list, retry,
// drop, as `wasla outbox failed|retry|drop`) and the dead letters (list, replay, drop, as
// `wasla intake dead|replay|drop`).
type outboxAPI struct {
	failed FailedReplies
	dead   DeadLetters
	log    *slog.Logger
}

// NewOutboxAPI returns the admin API of the failed replies and the dead letters behind
// the admin token; an empty token closes it (every request 401).
func NewOutboxAPI(failed FailedReplies, dead DeadLetters, token string, log *slog.Logger) http.Handler {
	a := &outboxAPI{failed: failed, dead: dead, log: log}
	mux := http.NewServeMux()
	for i, h := range []http.HandlerFunc{a.list, a.retry, a.drop, a.listDead, a.replay, a.dropDead} {
		mux.HandleFunc(OutboxRoutes[i], h)
	}
	return adminauth.Require(token, log, mux)
}

func (a *outboxAPI) listDead(w http.ResponseWriter, r *http.Request) {
	full := r.URL.Query().Get("show_contacts") == "true"
	list := []store.DeadSummary{}
	err := a.dead.ListDeadLetters(r.Context(), func(d store.ListedDeadLetter) error {
		list = append(list, d.Summary(full))
		return nil
	})
	if err != nil {
		a.fail(w, err)
		return
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"dead": list})
}

func (a *outboxAPI) replay(w http.ResponseWriter, r *http.Request) {
	d, err := a.dead.ReplayDeadLetter(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	a.log.Info("dead letter queued again", slog.String("id", d.ID), slog.String("contact", d.Message.Contact.Redacted()))
	writeAPIJSON(w, http.StatusOK, map[string]any{"id": d.ID, "replayed": true})
}

func (a *outboxAPI) dropDead(w http.ResponseWriter, r *http.Request) {
	d, err := a.dead.DropDeadLetter(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	a.log.Info("dead letter dropped", slog.String("id", d.ID), slog.String("contact", d.Message.Contact.Redacted()))
	writeAPIJSON(w, http.StatusOK, map[string]any{"id": d.ID, "dropped": true})
}

func (a *outboxAPI) list(w http.ResponseWriter, r *http.Request) {
	full := r.URL.Query().Get("show_contacts") == "true"
	list := []store.FailedSummary{}
	err := a.failed.FailedMessages(r.Context(), func(f store.FailedMessage) error {
		list = append(list, f.Summary(full))
		return nil
	})
	if err != nil {
		a.fail(w, err)
		return
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"failed": list})
}

func (a *outboxAPI) retry(w http.ResponseWriter, r *http.Request) {
	f, err := a.failed.RetryFailed(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	a.log.Info("failed reply queued again", slog.String("id", f.ID), slog.String("contact", f.Contact.Redacted()))
	writeAPIJSON(w, http.StatusOK, map[string]any{"id": f.ID, "state": f.Delivery.State})
}

func (a *outboxAPI) drop(w http.ResponseWriter, r *http.Request) {
	f, err := a.failed.DropFailed(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, err)
		return
	}
	a.log.Info("failed reply dropped", slog.String("id", f.ID), slog.String("contact", f.Contact.Redacted()))
	writeAPIJSON(w, http.StatusOK, map[string]any{"id": f.ID, "dropped": true})
}

// fail answers an error: 404 for an unknown id, 409 for a closed window or a dead letter
// that cannot be replayed (with the sentence saying so), 500 for Redis, logged.
func (a *outboxAPI) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, store.ErrNoFailed), errors.Is(err, store.ErrNoDeadLetter):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrWindowClosed), errors.Is(err, store.ErrNotReplayable):
		status = http.StatusConflict
	default:
		a.log.Warn("outbox admin API", slog.Any("error", err))
	}
	writeAPIJSON(w, status, map[string]string{"error": err.Error()})
}

func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
