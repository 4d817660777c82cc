package pacing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
)

// ErrThrottled means a number's throughput is used up for longer than the caller may wait.
var ErrThrottled = errors.New("number throughput limit reached")

// Clock tells the time: clock.Real for a live campaign, a clock.Manual in virtual time.
type Clock interface{ Now() time.Time }

// MemoryThroughput spaces each number's sends at its messages per second, in one process:
// the virtual-time twin of the sending package's Redis limiter, with the same Reserve
// shape, so the simulator and plan keep the throughput the live sender keeps (Meta's
// default is 80 messages per second; beyond it Meta answers 130429). It is a GCRA without
// burst: each send waits 1/rate after the previous one. It is safe for concurrent use.
type MemoryThroughput struct {
	clock Clock
	mu    sync.Mutex
	next  map[chat.NumberID]time.Time // the earliest moment of each number's next send
}

// NewMemoryThroughput returns a limiter on clock.
func NewMemoryThroughput(clock Clock) *MemoryThroughput {
	return &MemoryThroughput{clock: clock, next: map[chat.NumberID]time.Time{}}
}

// Reserve takes number's next send slot at rate messages per second and returns how long
// to wait before sending; when that would be longer than maxWait it takes no slot and
// returns an error wrapping ErrThrottled.
func (m *MemoryThroughput) Reserve(_ context.Context, number chat.NumberID, rate int, maxWait time.Duration) (time.Duration, error) {
	if rate <= 0 {
		return 0, fmt.Errorf("reserving a send slot of number %s: rate %d is not positive", number, rate)
	}
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	slot := m.next[number]
	if slot.Before(now) {
		slot = now
	}
	wait := slot.Sub(now)
	if wait > maxWait {
		return 0, fmt.Errorf("%w: number %s would wait %v, more than %v", ErrThrottled, number, wait, maxWait)
	}
	m.next[number] = slot.Add(time.Second / time.Duration(rate))
	return wait, nil
}
