package server

import (
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"
)

// Defaults of the push-back (see docs/bench.md, "Overload and the backlog").
const (
	// DefaultShedLag is the reply lag beyond which optional work (marks as read) is shed.
	DefaultShedLag = 5 * time.Second
	// DefaultRefuseDepth is the intake depth at which webhooks are answered 503: at Meta's
	// 1,000 messages a second per number, a queue this long is minutes of work.
	DefaultRefuseDepth = 100_000
	// RefuseRetryAfter is the Retry-After of a refused webhook, in seconds. Meta retries on
	// its own schedule ("immediately, then … with decreasing frequency over the next 7
	// days"); the header tells any other sender what the server wants.
	RefuseRetryAfter = 30
	// webhookSlotWait is how long a webhook waits for a handler slot before it is refused.
	// A second: a 200 that took a while costs the customer nothing, a 503 costs them Meta's
	// retry schedule, so only a flood that outlasts it is refused.
	webhookSlotWait = time.Second
	// lagStale is how long an observed reply lag stands for the outbox's: with no attempt
	// in that long, there is nothing waiting to be sent. The last replies of a drained
	// backlog waited the longest; their lag must not keep webhooks refused once they left.
	lagStale = time.Second
)

// backlogLevel is what the server does about its backlog.
type backlogLevel int

const (
	backlogOK     backlogLevel = iota // everything is done
	backlogShed                       // optional work (marks as read) is skipped
	backlogRefuse                     // webhooks are answered 503 with Retry-After
)

// backlog judges the server's backlog from the intake depth (the cache /metrics shows,
// re-read every DepthInterval) and the reply lag the outbox senders last saw. It is the
// server's push-back: when replies fall behind, the webhook still answers Meta at once but
// the server stops spending throughput slots and CPU on what it can skip, and past a hard
// bound it refuses webhooks so that Meta delivers them again later, when the backlog is
// gone, rather than growing a queue nobody will be answered from in time.
type backlog struct {
	depth                   *depthCache
	now                     func() time.Time
	draw                    func() float64 // uniform in [0, 1); tests fix it
	shedLag, refuseLag      time.Duration  // 0: never
	shedDepth, refuseDepth  int64          // 0: never
	lagNanos, lagObservedAt atomic.Int64
	// moved is the messages this process pushed less those it handled since the depth was
	// last read: the cached depth plus moved follows the intake between two reads, which
	// are seconds apart, while a flood fills it in milliseconds.
	moved atomic.Int64
}

// pushed and handled keep moved.
func (b *backlog) pushed(n int) { b.moved.Add(int64(n)) }
func (b *backlog) handled()     { b.moved.Add(-1) }

// setDepth stores a fresh read of the intake depth (-1: unknown) and restarts moved.
func (b *backlog) setDepth(n int64) {
	b.depth.v.Store(n)
	b.moved.Store(0)
}

// intakeDepth is the last read depth plus what moved since, -1 when unknown.
func (b *backlog) intakeDepth() int64 {
	d := b.depth.v.Load()
	if d < 0 {
		return -1
	}
	return max(d+b.moved.Load(), 0)
}

// observeLag records the reply lag of an attempt at sending a reply.
func (b *backlog) observeLag(d time.Duration) {
	b.lagNanos.Store(int64(d))
	b.lagObservedAt.Store(b.now().UnixNano())
}

// replyLag is the last observed reply lag, 0 when none was observed for lagStale.
func (b *backlog) replyLag() time.Duration {
	at := b.lagObservedAt.Load()
	if at == 0 || b.now().UnixNano()-at > int64(lagStale) {
		return 0
	}
	return time.Duration(b.lagNanos.Load())
}

// judge returns the level the backlog is at now.
func (b *backlog) judge() backlogLevel {
	switch lag, depth := b.replyLag(), b.intakeDepth(); {
	case b.refuseShare() > 0:
		return backlogRefuse
	case over(int64(lag), int64(b.shedLag)) || over(depth, b.shedDepth):
		return backlogShed
	}
	return backlogOK
}

func over(v, bound int64) bool { return bound > 0 && v >= bound }

// refuseShare is the share of webhooks to refuse: none below the refuse bounds, rising
// with the backlog past them to all at twice a bound. Refusing all at once at the bound
// would starve the senders: the backlog drains, the lag reads 0 a second later, everything
// is let in again, and the senders idle between the waves; a share that follows the excess
// lets in about what is sent.
func (b *backlog) refuseShare() float64 {
	share := func(v, bound int64) float64 {
		if !over(v, bound) {
			return 0
		}
		return min(float64(v-bound)/float64(bound)+1e-9, 1) // at the bound: just above none
	}
	return max(share(int64(b.replyLag()), int64(b.refuseLag)), share(b.intakeDepth(), b.refuseDepth))
}

// refuse says whether to refuse this webhook, drawing against refuseShare.
func (b *backlog) refuse() bool {
	sh := b.refuseShare()
	return sh > 0 && b.draw() < sh
}

// webhookSlots bounds the webhook handlers running at once, so that under a flood of POSTs
// the workers and senders keep their share of the CPU: handlers beyond the bound wait
// briefly for a slot, then are refused 503.
type webhookSlots struct {
	c    chan struct{}
	wait time.Duration
}

// newWebhookSlots returns n slots; 0 means sixteen per CPU the Go runtime may use.
func newWebhookSlots(n int) *webhookSlots {
	if n <= 0 {
		n = 16 * runtime.GOMAXPROCS(0)
	}
	return &webhookSlots{c: make(chan struct{}, n), wait: webhookSlotWait}
}

// acquire takes a slot, waiting at most s.wait or until the request is gone.
func (s *webhookSlots) acquire(r *http.Request) bool {
	select {
	case s.c <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.c <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-r.Context().Done():
		return false
	}
}

func (s *webhookSlots) release() { <-s.c }

// refuse answers a webhook 503 with Retry-After: Meta delivers it again later.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, why string) {
	s.metrics.refused.WithLabelValues(why).Inc()
	s.warnRefused.Warn("webhook refused for now: "+why+"; Meta will deliver it again", "reason", why)
	w.Header().Set("Retry-After", strconv.Itoa(RefuseRetryAfter))
	s.answer(w, r, http.StatusServiceUnavailable, "busy, retry later\n")
}
