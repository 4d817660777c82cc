package sending

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// Limiter spaces the sends of each number so that all replicas together stay within the
// number's throughput (Meta answers 130429 beyond it). Implementations must be safe for
// concurrent use.
type Limiter interface {
	// Reserve takes the next send slot of number at rate messages per second and returns
	// how long to wait before sending. When the wait would be longer than maxWait it takes no
	// slot and returns an error wrapping ErrThrottled.
	Reserve(ctx context.Context, number chat.NumberID, rate int, maxWait time.Duration) (time.Duration, error)
}

//go:embed gcra.lua
var gcraSource string

var gcraScript = redis.NewScript(gcraSource)

// RedisLimiter is a Limiter shared through Redis: a GCRA (generic cell rate algorithm)
// over one key per number, <prefix>:rate:<id>, holding the theoretical arrival time of the
// next send in microseconds. A Lua call reads and advances it atomically, so replicas
// never hand out the same slot; the key expires once idle. Each call touches one key, so
// it works on Redis Cluster too.
//
// With Batch set, one call reserves the consecutive slots of Batch of sending time (at 1,000
// messages a second and 50ms, 50 slots) and this replica hands them out one by one, at
// their times: a busy number costs one round trip per batch instead of one per send. A
// slot whose time passed unused is dropped, never used late, so sends never bunch up
// beyond the rate; the price is that a replica may reserve slots it then leaves unused.
type RedisLimiter struct {
	client redis.UniversalClient
	prefix string
	clock  clock.Clock
	// Burst is how many sends may go at once after an idle spell before the steady pace
	// applies; 0 or 1 means none: each send waits 1/rate seconds after the previous one.
	Burst int
	// Batch is how much sending time one round trip reserves; 0 reserves one slot per
	// send.
	Batch time.Duration

	mu     sync.Mutex
	slots  map[chat.NumberID]*slotRun // guarded by mu
	rounds atomic.Int64               // round trips to Redis, for tests
}

// slotRun is a batch of reserved slots of one number: left slots, the next at next,
// interval apart.
type slotRun struct {
	next     time.Time
	interval time.Duration
	left     int
}

// NewRedisLimiter returns a limiter over client under the deployment's key prefix, which
// the contact store owns (store.Redis.Prefix): sending declares no prefix of its own. With a nil clock the script reads the time of the Redis server, which
// all replicas share; tests pass a manual clock instead.
func NewRedisLimiter(client redis.UniversalClient, prefix string, clk clock.Clock) *RedisLimiter {
	return &RedisLimiter{client: client, prefix: prefix, clock: clk}
}

// Key returns the key of the number's limiter.
func (l *RedisLimiter) Key(number chat.NumberID) string { return l.prefix + ":rate:" + string(number) }

// Reserve takes the next send slot of number; see Limiter.
func (l *RedisLimiter) Reserve(ctx context.Context, number chat.NumberID, rate int, maxWait time.Duration) (time.Duration, error) {
	if rate <= 0 {
		return 0, fmt.Errorf("reserving a send slot of number %s: rate %d is not positive", number, rate)
	}
	interval := time.Second / time.Duration(rate)
	count := 1
	if l.Batch > 0 {
		count = max(1, int(l.Batch/interval))
	}
	if count == 1 {
		return l.reserve(ctx, number, interval, 1, maxWait)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	run := l.slots[number]
	if run != nil && run.interval == interval {
		// Slots whose time passed unused are dropped: using them late would bunch sends.
		for run.left > 0 && run.next.Add(interval).Before(now) {
			run.next = run.next.Add(interval)
			run.left--
		}
		if run.left > 0 {
			wait := max(run.next.Sub(now), 0)
			if wait > maxWait {
				return 0, fmt.Errorf("%w: number %s would wait %v, more than %v", ErrThrottled, number, wait, maxWait)
			}
			run.next = run.next.Add(interval)
			run.left--
			return wait, nil
		}
	}
	// The lock is held across the round trip: the number's other sends would only reserve
	// batches of their own meanwhile.
	wait, err := l.reserve(ctx, number, interval, count, maxWait)
	if err != nil {
		return 0, err
	}
	if l.slots == nil {
		l.slots = map[chat.NumberID]*slotRun{}
	}
	l.slots[number] = &slotRun{next: now.Add(wait + interval), interval: interval, left: count - 1}
	return wait, nil
}

// now is the limiter's time: its clock's, or the local wall clock when the script reads
// Redis's (the local one only spaces the slots of a batch, relative to its reservation).
func (l *RedisLimiter) now() time.Time {
	if l.clock != nil {
		return l.clock.Now()
	}
	return time.Now()
}

// reserve takes count consecutive slots of number in one round trip and returns the wait
// before the first.
func (l *RedisLimiter) reserve(ctx context.Context, number chat.NumberID, interval time.Duration, count int, maxWait time.Duration) (time.Duration, error) {
	burst := max(l.Burst, 1)
	now := ""
	if l.clock != nil {
		now = strconv.FormatInt(l.clock.Now().UnixMicro(), 10)
	}
	l.rounds.Add(1)
	res, err := gcraScript.Run(ctx, l.client, []string{l.Key(number)},
		interval.Microseconds(), burst, maxWait.Microseconds(), now, count).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserving a send slot of number %s: %w", number, err)
	}
	if res < 0 {
		return 0, fmt.Errorf("%w: number %s would wait %v, more than %v", ErrThrottled, number, time.Duration(-res)*time.Microsecond, maxWait)
	}
	return time.Duration(res) * time.Microsecond, nil
}
