package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wasla/wasla/channels/whatsapp"
)

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
