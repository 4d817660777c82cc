package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/store"
)

// handle runs one queued message through the flows, loading and committing its contact
// through the intake's transaction tx. It finishes the message even when the workers are
// being stopped (the context passed by the intake is then cancelled), so a shutdown never
// cuts a message in half; HandleTimeout bounds it instead.
func (s *Server) handle(ctx context.Context, tx *store.Tx, in chat.Inbound) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.HandleTimeout)
	defer cancel()
	defer s.backlog.handled()
	s.markRead(ctx, in)
	var etx engine.Tx
	if tx != nil { // a nil *store.Tx must reach the engine as no transaction at all
		etx = tx
		if s.d.Inbox != nil {
			etx = s.d.Inbox.WatchTx(etx)
		}
		if s.d.Campaigns != nil {
			etx = &optOutWatch{Tx: etx, s: s, number: in.Number}
		}
	}
	err := s.d.Engine.Receive(ctx, etx, in)
	if s.d.Health != nil && (err == nil || errors.Is(err, engine.ErrDelivery)) {
		s.d.Health.Inbound(ctx, []chat.Inbound{in})
	}
	if errors.Is(err, engine.ErrDelivery) {
		// The message was handled and stored; a reply the sender could not deliver is
		// recorded by the sender. Handling it again would change nothing.
		s.metrics.handledC.with("ok", "").Inc()
		s.log.Warn("reply not delivered", slog.String("number", string(in.Number)), slog.String("message_id", in.ID), slog.Any("error", err))
		return nil
	}
	if err != nil {
		s.metrics.handledC.with("error", "").Inc()
		s.log.Error("handling message", slog.String("number", string(in.Number)), slog.String("message_id", in.ID), slog.Any("error", err))
		return err
	}
	s.metrics.handledC.with("ok", "").Inc()
	return nil
}

// markReadTimeout bounds one mark-as-read request, throughput wait included.
const markReadTimeout = 30 * time.Second

// markRead marks in read on the number that received it, in the background: it waits for
// the number's throughput like a send, and a slow Graph API must never hold up the
// handling of the message. It is best effort: when as many marks as workers are already
// in flight, this one is skipped.
func (s *Server) markRead(ctx context.Context, in chat.Inbound) {
	if s.d.MarkRead == nil || in.ID == "" || in.Kind == chat.KindCall { // a call is no message to mark read
		return
	}
	if s.backlog.judge() >= backlogShed {
		return // replies are behind: their throughput slots matter more than a read mark
	}
	select {
	case s.marks <- struct{}{}:
	default:
		s.log.Debug("mark as read skipped: too many in flight", slog.String("number", string(in.Number)))
		return
	}
	s.marking.Go(func() {
		defer func() { <-s.marks }()
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markReadTimeout)
		defer cancel()
		if err := s.d.MarkRead.MarkRead(mctx, in.Number, in.ID); err != nil {
			s.log.Debug("mark as read failed", slog.String("number", string(in.Number)), slog.Any("error", err))
		}
	})
}

// timerLoop fires due timers until ctx is done: those noted in TimerNotes at their
// moment (wakeLoop), and on every tick those the store's timer index holds.
func (s *Server) timerLoop(ctx context.Context) {
	if s.d.TimerNotes != nil {
		done := make(chan struct{})
		go func() { defer close(done); s.wakeLoop(ctx) }()
		defer func() { <-done }()
	}
	s.everyTick(ctx, s.d.TimerInterval, func() {
		// A tick's work finishes even when the loop is being stopped, within bounds.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.HandleTimeout)
		s.RunTimers(tctx)
		cancel()
	})
}

// RunTimers runs the engine's due timers once.
func (s *Server) RunTimers(ctx context.Context) {
	n, err := s.d.Engine.RunDue(ctx)
	if n > 0 {
		s.metrics.timers.Add(float64(n))
	}
	if err != nil {
		s.log.Error("running due timers", slog.Any("error", err))
	}
}

// refreshLoop re-reads the numbers from the Graph API on every tick.
func (s *Server) refreshLoop(ctx context.Context) {
	s.everyTick(ctx, s.d.RefreshInterval, func() {
		if err := s.d.Numbers.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("refreshing numbers from the Graph API", slog.Any("error", err))
		}
	})
}

// everyTick calls fn on every tick of the server's ticker at interval, one call at a time,
// until ctx is done. Every background loop of the server is one.
func (s *Server) everyTick(ctx context.Context, interval time.Duration, fn func()) {
	ticks, stop := s.d.Tick(interval)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			fn()
		}
	}
}
