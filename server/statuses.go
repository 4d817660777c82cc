package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/redact"
	"github.com/wasla/wasla/store"
)

// Deliveries records the delivery states of the replies sent through the outbox;
// *store.Redis has it. entry is the reply the status's callback data names ("" for none).
type Deliveries interface {
	ApplyReplyDelivery(ctx context.Context, id chat.ContactID, d chat.Delivery, entry string, attempt int) (store.StatusResult, string, error)
}

// DeliveryObserver hears of each delivery state a status webhook moved forward, and of
// Meta's sent statuses: the contact, the history entry id of the reply and the state (a
// sent may come after the reply went further; observers never move a state back);
// *inbox.Inbox is one. Its
// error is logged, never returned: the state is recorded whatever an observer does.
type DeliveryObserver interface {
	DeliveryChanged(ctx context.Context, id chat.ContactID, entry string, d chat.Delivery) error
}

// statusStates maps Meta's statuses to delivery states; others (deleted, warning) leave
// the state alone.
var statusStates = map[whatsapp.DeliveryStatus]chat.DeliveryState{
	whatsapp.StatusSent:      chat.StateSent,
	whatsapp.StatusDelivered: chat.StateDelivered,
	whatsapp.StatusRead:      chat.StateRead,
	whatsapp.StatusFailed:    chat.StateFailed,
}

var statusResults = [...]string{store.StatusUnknown: "unknown", store.StatusApplied: "applied",
	store.StatusWaiting: "waiting", store.StatusStale: "stale", store.StatusCopy: "copy", store.StatusSettled: "settled"}

// deliveryStatus moves the delivery state of the reply a status webhook names forward
// (one round trip; a user id costs one more to resolve the contact). Campaign messages
// (with their own callback data) are the campaign loop's: they never went through the
// outbox. A reply's callback data (store.ReplyCallback) finds a copy sent by an attempt
// whose answer was lost: counted in wasla_outbox_duplicates_total once. A reply that fails
// here is counted in wasla_outbox_failed_total once, however often Meta repeats the status.
func (s *Server) deliveryStatus(ctx context.Context, st *whatsapp.Status, contact func() (chat.ContactID, error)) error {
	state, ok := statusStates[st.Status]
	if s.d.Deliveries == nil || !ok || st.MessageID == "" {
		return nil
	}
	entry, attempt, reply := store.ParseReplyCallback(st.CallbackData)
	if st.CallbackData != "" && !reply {
		return nil
	}
	if st.Recipient == "" && (s.d.Contacts == nil || st.RecipientUserID == "") {
		return nil
	}
	id, err := contact()
	if err != nil {
		return fmt.Errorf("resolving the contact of a status: %w", err)
	}
	if id == "" {
		return nil
	}
	d := chat.Delivery{State: state, Wamid: st.MessageID, Number: st.Number, At: st.At.UTC()}
	if d.At.IsZero() {
		d.At = s.d.Clock.Now().UTC()
	}
	if len(st.Errors) > 0 {
		e := st.Errors[0]
		d.ErrorCode, d.ErrorClass, d.ErrorTitle = e.Code, e.Class().String(), redact.Text(e.Title)
	}
	res, entry, err := s.d.Deliveries.ApplyReplyDelivery(ctx, id, d, entry, attempt)
	if err != nil {
		return fmt.Errorf("recording the delivery state: %w", err)
	}
	if res == store.StatusSettled {
		s.log.Info("a reply whose attempt was cut off is settled by Meta's status: it is not sent again",
			slog.String("contact", id.Redacted()), slog.String("entry", entry), slog.Int("attempt", attempt),
			slog.String("state", string(state)))
	}
	if res == store.StatusCopy {
		s.metrics.duplicates.WithLabelValues(string(st.Number)).Inc()
		s.log.Warn("a reply reached Meta twice: an attempt whose answer was lost with its process was accepted after all",
			slog.String("contact", id.Redacted()), slog.String("entry", entry), slog.Int("attempt", attempt),
			slog.String("state", string(state)))
	}
	// The outbox records "sent" itself, so Meta's sent status finds it stale; it is still
	// the first the observer hears of the send.
	moved := res == store.StatusApplied || res == store.StatusSettled || (res == store.StatusCopy && state != chat.StateFailed)
	if (moved || (res == store.StatusStale && state == chat.StateSent)) && s.d.DeliveryObserver != nil {
		if err := s.d.DeliveryObserver.DeliveryChanged(ctx, id, entry, d); err != nil {
			s.warnStatus.Warn("telling the inbox of a delivery state failed", slog.Any("error", err))
		}
	}
	s.metrics.deliveryStates.WithLabelValues(string(state), statusResults[res]).Inc()
	if res == store.StatusApplied && state == chat.StateFailed {
		s.metrics.OutboxFailed(st.Number, cmp.Or(d.ErrorClass, "other"))
	}
	return nil
}

// DefaultStatusQueue is how many delivery statuses may wait to be applied when
// Deps.StatusQueue is 0: ten Meta POSTs of a thousand statuses each.
const DefaultStatusQueue = 10_000

// errStatusQueueFull answers a POST whose statuses do not fit in the queue: Meta delivers
// it again later, and statuses applied twice are recorded once.
var errStatusQueueFull = errors.New("the status queue is full")

// queueStatuses hands a POST's delivery statuses to the status loop. The webhook answers
// without waiting for them: applying one takes Redis round trips (contact, registry,
// history), and a POST may hold a thousand. A status is only held in memory until it is
// applied: a crash loses the statuses queued, as Meta's "sent/delivered/read" signals are
// advisory; a failed send is also recorded when the send itself fails.
func (s *Server) queueStatuses(sts []*whatsapp.Status) error {
	for i, st := range sts {
		select {
		case s.statusQ <- st:
		default:
			return fmt.Errorf("%w: %d of %d statuses queued", errStatusQueueFull, i, len(sts))
		}
	}
	return nil
}

// statusLoop applies queued statuses until ctx is done, then applies what is left within
// the context of the shutdown (Run closes the HTTP server first, so nothing more arrives).
func (s *Server) statusLoop(ctx context.Context, drainCtx func() (context.Context, context.CancelFunc)) {
	for {
		select {
		case st := <-s.statusQ:
			s.applyQueued(ctx, st)
		case <-ctx.Done():
			dctx, cancel := drainCtx()
			defer cancel()
			s.drainStatuses(dctx)
			return
		}
	}
}

// applyQueued applies st and every status queued behind it, and logs the batch.
func (s *Server) applyQueued(ctx context.Context, st *whatsapp.Status) {
	n, failed := 1, 0
	if err := s.status(ctx, st); err != nil {
		failed++
		s.warnStatus.Warn("applying a delivery status failed", slog.Any("error", err))
	}
	for {
		select {
		case st := <-s.statusQ:
			n++
			if err := s.status(ctx, st); err != nil {
				failed++
				s.warnStatus.Warn("applying a delivery status failed", slog.Any("error", err))
			}
		default:
			s.log.Debug("statuses applied", slog.Int("count", n), slog.Int("failed", failed))
			return
		}
	}
}

// drainStatuses applies every queued status now; the loop uses it at shutdown, tests
// after a POST.
func (s *Server) drainStatuses(ctx context.Context) {
	select {
	case st := <-s.statusQ:
		s.applyQueued(ctx, st)
	default:
	}
}
