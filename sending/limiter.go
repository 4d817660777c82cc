package sending

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
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
// next send in microseconds. One Lua call per send reads and advances it atomically, so
// replicas never hand out the same slot; the key expires once idle. Each call touches one
// key, so it works on Redis Cluster too.
type RedisLimiter struct {
	client redis.UniversalClient
	prefix string
	clock  clock.Clock
	// Burst is how many sends may go at once after an idle spell before the steady pace
	// applies; 0 or 1 means none: each send waits 1/rate seconds after the previous one.
	Burst int
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
	interval := int64(time.Second/time.Microsecond) / int64(rate)
	burst := max(l.Burst, 1)
	now := ""
	if l.clock != nil {
		now = strconv.FormatInt(l.clock.Now().UnixMicro(), 10)
	}
	res, err := gcraScript.Run(ctx, l.client, []string{l.Key(number)},
		interval, burst, maxWait.Microseconds(), now).Int64()
	if err != nil {
		return 0, fmt.Errorf("reserving a send slot of number %s: %w", number, err)
	}
	if res < 0 {
		return 0, fmt.Errorf("%w: number %s would wait %v, more than %v", ErrThrottled, number, time.Duration(-res)*time.Microsecond, maxWait)
	}
	return time.Duration(res) * time.Microsecond, nil
}
