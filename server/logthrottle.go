package server

import (
	"log/slog"
	"sync"
	"time"
)

// throttledLog writes at most one record per period for each message and counts the
// ones it held back, so that a flood of refused requests (bad signatures from a scanner,
// replays) cannot fill the disk or drown the records an operator needs. The next record
// after a quiet spell carries "suppressed": how many were dropped since the last one.
type throttledLog struct {
	log    *slog.Logger
	period time.Duration
	now    func() time.Time

	mu    sync.Mutex
	kinds map[string]*throttled // by message; the messages are constants, so few
}

type throttled struct {
	last       time.Time
	suppressed int
}

// refusalLogPeriod is how often a kind of refused request is logged at most.
const refusalLogPeriod = 10 * time.Second

func newThrottledLog(log *slog.Logger, period time.Duration, now func() time.Time) *throttledLog {
	return &throttledLog{log: log, period: period, now: now, kinds: map[string]*throttled{}}
}

// Warn logs msg at Warn unless the same msg was logged less than a period ago.
func (l *throttledLog) Warn(msg string, attrs ...any) {
	l.mu.Lock()
	now := l.now()
	k := l.kinds[msg]
	if k == nil {
		k = &throttled{}
		l.kinds[msg] = k
	}
	if !k.last.IsZero() && now.Sub(k.last) < l.period {
		k.suppressed++
		l.mu.Unlock()
		return
	}
	n := k.suppressed
	k.last, k.suppressed = now, 0
	l.mu.Unlock()
	if n > 0 {
		attrs = append(attrs, slog.Int("suppressed", n))
	}
	l.log.Warn(msg, attrs...)
}
