package server

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/redact"
)

// handshake answers Meta's GET verification request with the raw challenge.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request) {
	challenge, err := whatsapp.VerifyChallenge(r.URL.Query(), s.d.VerifyToken)
	if err != nil {
		s.log.Warn("webhook verification refused", slog.String("remote", r.RemoteAddr), slog.Any("error", err))
		s.answer(w, r, http.StatusForbidden, "verification refused\n")
		return
	}
	s.log.Info("webhook verified by Meta")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	s.answer(w, r, http.StatusOK, challenge)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, code int, body string) {
	if code != http.StatusOK || w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
	s.metrics.requestsC.with(r.Method, strconv.Itoa(code)).Inc()
}

// webhook takes a POST: it checks the signature over the raw bytes, parses the events,
// records every inbound message durably in the intake and applies the other events, and
// only then answers 200. Anything that could not be recorded is answered 500 so that Meta
// delivers the POST again; duplicates are dropped later by message id.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { s.metrics.webhookLatency.Observe(time.Since(start).Seconds()) }()
	if !s.slots.acquire(r) {
		s.refuse(w, r, "busy")
		return
	}
	defer s.slots.release()
	if s.backlog.refuse() {
		s.refuse(w, r, "backlog")
		return
	}

	body, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.warnRefused.Warn("webhook refused: body over 3 MB", slog.String("remote", r.RemoteAddr))
			s.answer(w, r, http.StatusRequestEntityTooLarge, "body too large\n")
			return
		}
		s.warnRefused.Warn("webhook refused: reading body", slog.String("remote", r.RemoteAddr), slog.Any("error", err))
		s.answer(w, r, http.StatusBadRequest, "cannot read body\n")
		return
	}
	if err := s.verifier.Verify(body, r.Header.Get(whatsapp.SignatureHeader)); err != nil {
		s.warnRefused.Warn("webhook refused: signature", slog.String("remote", r.RemoteAddr), slog.Int("bytes", len(body)), slog.Any("error", err))
		s.answer(w, r, http.StatusUnauthorized, "bad signature\n")
		return
	}
	batch, err := whatsapp.ParseWebhook(body)
	if err != nil {
		s.warnRefused.Warn("webhook refused: malformed payload", slog.String("remote", r.RemoteAddr), slog.Int("bytes", len(body)), slog.Any("error", err))
		s.answer(w, r, http.StatusBadRequest, "malformed payload\n")
		return
	}
	if err := s.accept(r.Context(), batch); err != nil {
		s.d.WebhookHealth.Failed(err.Error())
		s.log.Error("webhook not recorded; Meta will deliver it again", slog.Any("error", err))
		s.answer(w, r, http.StatusInternalServerError, "not recorded, retry\n")
		return
	}
	s.d.WebhookHealth.Recorded()
	s.answer(w, r, http.StatusOK, "")
}

// readBody reads a webhook's body, at most MaxWebhookBody, into a buffer sized from its
// Content-Length when it has one (io.ReadAll would grow its buffer four times for a
// typical 1–2 KB webhook).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, MaxWebhookBody)
	if n := r.ContentLength; n > 0 && n <= MaxWebhookBody {
		var buf bytes.Buffer
		buf.Grow(int(n) + bytes.MinRead)
		_, err := buf.ReadFrom(rd)
		return buf.Bytes(), err
	}
	return io.ReadAll(rd)
}

// accept handles the events of one POST. Inbound messages are pushed in one call, after
// the other events, so a failure anywhere answers 500 before anything is acknowledged.
// Delivery statuses are queued last, for the status loop. Events older than the replay
// window are dropped.
func (s *Server) accept(ctx context.Context, batch *whatsapp.Batch) error {
	var inbound []chat.Inbound
	var statuses []*whatsapp.Status
	var errs []error
	for _, ev := range batch.Events {
		s.metrics.eventsC.with(string(ev.Type()), "").Inc()
		switch ev := ev.(type) {
		case *whatsapp.Message:
			in := ev.Inbound
			if s.stale(in.At) {
				s.dropStale(ev, in.At)
				continue
			}
			if in.ID == "" || in.Contact == "" {
				s.log.Warn("webhook message without id or sender dropped", slog.String("wire_type", ev.WireType))
				continue
			}
			if in.Campaign == "" {
				in.Campaign = s.campaignOf(in.Number)
			}
			inbound = append(inbound, in)
		case *whatsapp.Call:
			// A call travels the messages' durable path: the engine records it and, when
			// the customer called, opens the number's 24-hour window; no flow starts.
			in := ev.Inbound
			if s.stale(in.At) {
				s.dropStale(ev, in.At)
				continue
			}
			if in.Contact == "" {
				s.log.Warn("webhook call without caller dropped", slog.String("number", string(in.Number)))
				continue
			}
			inbound = append(inbound, in)
		case *whatsapp.Status:
			if s.stale(ev.At) {
				s.dropStale(ev, ev.At)
				continue
			}
			statuses = append(statuses, ev)
		case *whatsapp.ErrorEvent:
			for _, e := range ev.Errors {
				s.metrics.errors.WithLabelValues(string(ev.Number), strconv.Itoa(e.Code), "webhook").Inc()
				s.log.Warn("whatsapp reported an error", slog.String("number", string(ev.Number)), slog.Int("code", e.Code), slog.String("error", e.Error()))
			}
		case *whatsapp.QualityUpdate:
			s.log.Warn("number quality update", slog.String("display_number", ev.DisplayNumber),
				slog.String("event", ev.Event), slog.String("limit", ev.CurrentLimit))
			errs = append(errs, s.applyNumbers(ctx, ev))
		case *whatsapp.AccountUpdate:
			s.log.Warn("account update", slog.String("waba", ev.WABA), slog.String("event", ev.Event),
				slog.String("ban_state", ev.BanState), slog.String("phone_number", ev.PhoneNumber))
			errs = append(errs, s.applyNumbers(ctx, ev))
		case *whatsapp.UserPreference:
			errs = append(errs, s.applyPreference(ctx, ev))
		case *whatsapp.TemplateStatus:
			s.metrics.templates.WithLabelValues(ev.Event).Inc()
			s.log.Info("template status update", slog.String("template", ev.Name), slog.String("language", ev.Language),
				slog.String("event", ev.Event), slog.String("reason", ev.Reason))
			errs = append(errs, s.pauseTemplate(ctx, ev))
		case *whatsapp.TemplateCategory:
			s.metrics.templates.WithLabelValues("CATEGORY_UPDATE").Inc()
			errs = append(errs, s.templateCategory(ctx, ev))
		case *whatsapp.Unknown:
			s.log.Info("webhook change not handled", slog.String("field", ev.Field), slog.String("object", ev.Object), slog.String("reason", ev.Reason))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(inbound) > 0 {
		if err := s.resolveContacts(ctx, inbound); err != nil {
			return err
		}
		if err := s.d.Intake.Push(ctx, inbound); err != nil {
			return fmt.Errorf("recording %d inbound messages: %w", len(inbound), err)
		}
		s.backlog.pushed(len(inbound))
		for _, in := range inbound {
			s.metrics.inboundC.with(string(in.Number), string(in.Kind)).Inc()
		}
		if err := s.campaignReplies(ctx, inbound); err != nil {
			return err
		}
	}
	return s.queueStatuses(statuses)
}

// resolveContacts sets each message's contact key, in one round trip for the whole POST:
// a user who hides their number is still one contact.
func (s *Server) resolveContacts(ctx context.Context, msgs []chat.Inbound) error {
	if s.d.Contacts == nil {
		return nil
	}
	waIDs, userIDs := make([]string, len(msgs)), make([]string, len(msgs))
	for i, in := range msgs {
		if string(in.Contact) != in.UserID {
			waIDs[i] = string(in.Contact)
		}
		userIDs[i] = in.UserID
	}
	ids, err := s.d.Contacts.ResolveContacts(ctx, waIDs, userIDs)
	if err != nil {
		return fmt.Errorf("resolving contacts: %w", err)
	}
	for i := range msgs {
		msgs[i].Contact = ids[i]
	}
	return nil
}

// status applies a delivery status, in the status loop. A failed one is appended to the
// contact's history with Meta's error: a send that returned a wamid can still fail here.
func (s *Server) status(ctx context.Context, st *whatsapp.Status) error {
	s.metrics.statuses.WithLabelValues(string(st.Number), string(st.Status)).Inc()
	if s.d.Health != nil {
		s.d.Health.Status(ctx, st)
	}
	// The delivery state and a failure's history entry both need the contact, which costs
	// a round trip when the status names a user id: it is resolved once.
	contact := sync.OnceValues(func() (chat.ContactID, error) {
		if s.d.Contacts == nil || st.RecipientUserID == "" {
			return chat.ContactID(cmp.Or(string(st.Recipient), st.RecipientUserID)), nil
		}
		return s.d.Contacts.ResolveContact(ctx, string(st.Recipient), st.RecipientUserID)
	})
	campaignErr := errors.Join(s.campaignStatus(ctx, st), s.deliveryStatus(ctx, st, contact))
	if st.Status != whatsapp.StatusFailed {
		return campaignErr
	}
	detail := "failed"
	for _, e := range st.Errors {
		s.metrics.errors.WithLabelValues(string(st.Number), strconv.Itoa(e.Code), "status").Inc()
		detail += ": " + e.Error()
	}
	detail = redact.Text(detail)
	s.log.Warn("message failed after it was sent", slog.String("number", string(st.Number)),
		slog.String("message_id", st.MessageID), slog.String("detail", detail))
	errs := []error{campaignErr}
	if s.d.Statuses != nil {
		if err := s.d.Statuses.ApplyStatus(ctx, st); err != nil {
			errs = append(errs, fmt.Errorf("applying a failed status: %w", err))
		}
	}
	if s.d.History != nil && (st.Recipient != "" || st.RecipientUserID != "") {
		contact, err := contact()
		if err != nil {
			return fmt.Errorf("resolving contact of a failed status: %w", err)
		}
		at := st.At
		if at.IsZero() {
			at = s.d.Clock.Now()
		}
		ev := chat.Event{
			Kind:    chat.EventStatus,
			Contact: contact,
			Number:  st.Number,
			At:      at,
			Detail:  st.MessageID + " " + detail,
		}
		if len(st.Errors) > 0 {
			code := st.Errors[0].Code
			ev.ErrorCode, ev.ErrorClass = code, whatsapp.Classify(code, 0).String()
		}
		if err := s.d.History.Append(ctx, ev); err != nil {
			errs = append(errs, fmt.Errorf("recording failed status: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) applyNumbers(ctx context.Context, ev whatsapp.Event) error {
	if s.d.Numbers == nil {
		return nil
	}
	a, ok := s.d.Numbers.(changedApplier)
	if !ok {
		if err := s.d.Numbers.Apply(ctx, ev); err != nil {
			return fmt.Errorf("applying %s to the number registry: %w", ev.Type(), err)
		}
		return nil
	}
	ids, err := a.ApplyChanged(ctx, ev)
	if err != nil {
		return fmt.Errorf("applying %s to the number registry: %w", ev.Type(), err)
	}
	// The registry holds Meta's word: the loop would catch up at its next round, so a
	// failed re-judge is logged, not answered with a 500.
	if s.d.Health != nil {
		if err := s.d.Health.Rejudge(ctx, ids); err != nil {
			s.log.Warn("judging numbers after a webhook failed; the next round judges them", slog.String("event", string(ev.Type())), slog.Any("error", err))
		}
	}
	return nil
}

// changedApplier is a Numbers that names the numbers an event changed.
type changedApplier interface {
	ApplyChanged(ctx context.Context, ev whatsapp.Event) ([]chat.NumberID, error)
}

// applyPreference honours a user's marketing stop or resume as the opt-out and opt-in
// words are honoured: a user who tapped stop is not written to again until they resume.
func (s *Server) applyPreference(ctx context.Context, ev *whatsapp.UserPreference) error {
	var out bool
	switch ev.Value {
	case whatsapp.PreferenceStop:
		out = true
	case whatsapp.PreferenceResume:
	default:
		s.log.Info("user preference not handled", slog.String("category", ev.Category), slog.String("value", ev.Value))
		return nil
	}
	if s.d.Preferences == nil {
		s.log.Info("user preference not recorded", slog.String("value", ev.Value))
		return nil
	}
	id := ev.Contact
	if s.d.Contacts != nil {
		var err error
		if id, err = s.d.Contacts.ResolveContact(ctx, string(ev.Contact), ""); err != nil {
			return fmt.Errorf("resolving the contact of a user preference: %w", err)
		}
	}
	if s.d.Health != nil {
		s.d.Health.Preference(ctx, ev, id)
	}
	detail := "whatsapp " + ev.Category + " " + ev.Value
	if err := s.d.Preferences.SetOptedOut(ctx, id, out, detail); err != nil {
		return fmt.Errorf("recording a %s preference: %w", ev.Value, err)
	}
	return s.campaignOptOut(ctx, ev, out)
}
