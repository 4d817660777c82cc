package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Backlog counts what is kept for an operator: the failed replies (`wasla outbox failed`)
// and the dead letters (`wasla intake dead`); store.Backlog has it.
type Backlog interface {
	FailedCount(ctx context.Context) (int64, error)
	DeadCount(ctx context.Context) (int64, error)
}

// backlogGauges hold the backlog as last read, like the intake depth (depthCache): each
// count is a pipeline over every bucket, too dear for every scrape.
type backlogGauges struct{ failed, dead *depthCache }

// registerBacklog adds the backlog gauges to the metrics, when the server has a backlog.
func (s *Server) registerBacklog() {
	if s.d.Backlog == nil {
		return
	}
	s.kept = &backlogGauges{failed: newDepthCache(), dead: newDepthCache()}
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wasla_outbox_failed",
			Help: "Failed replies kept for an operator to retry or drop (`wasla outbox failed`), as read at most limits.depth_interval ago (-1: unknown).",
		}, s.kept.failed.get),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wasla_intake_dead_letters",
			Help: "Inbound messages the workers gave up on, kept for an operator to replay or drop (`wasla intake dead`), as read at most limits.depth_interval ago (-1: unknown).",
		}, s.kept.dead.get))
}

// refreshBacklog re-reads both counts.
func (s *Server) refreshBacklog(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, c := range []struct {
		cache *depthCache
		count func(context.Context) (int64, error)
		what  string
	}{{s.kept.failed, s.d.Backlog.FailedCount, "failed replies"}, {s.kept.dead, s.d.Backlog.DeadCount, "dead letters"}} {
		n, err := c.count(ctx)
		if err != nil {
			n = -1
			s.warnStatus.Warn("counting the "+c.what+" for /metrics failed", slog.Any("error", err))
		}
		c.cache.v.Store(n)
	}
}

// backlogLoop refreshes the backlog at once and then every DepthInterval until ctx is
// done.
func (s *Server) backlogLoop(ctx context.Context) {
	if s.kept == nil {
		return
	}
	s.refreshBacklog(ctx)
	s.everyTick(ctx, s.d.DepthInterval, func() { s.refreshBacklog(ctx) })
}
