package server

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// DefaultDepthInterval is how often the intake depth shown in /metrics is re-read when
// Deps.DepthInterval is 0.
const DefaultDepthInterval = 5 * time.Second

// depthCache holds the intake depth as last read. A scrape reads the cache, not Redis:
// the depth is the sum of one counter per intake bucket (1,024 GETs), and a scraper or a
// stranger hitting /metrics must not make each request cost that. The figure is at most
// DepthInterval old; -1 until the first read and after a failed one.
type depthCache struct{ v atomic.Int64 }

func newDepthCache() *depthCache {
	c := &depthCache{}
	c.v.Store(-1)
	return c
}

func (c *depthCache) get() float64 { return float64(c.v.Load()) }

// refreshDepth re-reads the intake depth into the cache.
func (s *Server) refreshDepth(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, err := s.d.Intake.Depth(ctx)
	if err != nil {
		n = -1
		s.warnStatus.Warn("reading the intake depth for /metrics failed", slog.Any("error", err))
	}
	s.backlog.setDepth(n)
}

// depthLoop refreshes the intake depth at once and then every DepthInterval until ctx
// is done.
func (s *Server) depthLoop(ctx context.Context) {
	s.refreshDepth(ctx)
	s.everyTick(ctx, s.d.DepthInterval, func() { s.refreshDepth(ctx) })
}
