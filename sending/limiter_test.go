package sending

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/internal/redistest"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// redisServers runs a test on miniredis and on a real redis-server.
func redisServers(t *testing.T, fn func(t *testing.T, c redis.UniversalClient)) {
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		fn(t, c)
	})
	t.Run("redis-server", func(t *testing.T) {
		s := redistest.Start(t)
		if s == nil {
			t.Skip("no redis-server")
		}
		fn(t, s.Client(t))
	})
}

func TestRedisLimiterPacesSends(t *testing.T) {
	redisServers(t, func(t *testing.T, c redis.UniversalClient) {
		ctx := context.Background()
		clk := clock.NewManual(t0)
		l := NewRedisLimiter(c, "wasla", clk)
		ms := time.Millisecond
		steps := []struct {
			name    string
			advance time.Duration
			number  string
			want    time.Duration
			err     error
		}{
			{"first send goes at once", 0, "2001", 0, nil},
			{"second waits one interval", 0, "2001", 100 * ms, nil},
			{"third is beyond max wait", 0, "2001", 0, ErrThrottled},
			{"a refused call took no slot", 0, "2001", 0, ErrThrottled},
			{"another number has its own pace", 0, "2002", 0, nil},
			{"after 100ms the third fits", 100 * ms, "2001", 100 * ms, nil},
			{"after an idle second, at once", time.Second, "2001", 0, nil},
			{"then paced again", 30 * ms, "2001", 70 * ms, nil},
		}
		for _, s := range steps {
			clk.Advance(s.advance)
			got, err := l.Reserve(ctx, chatID(s.number), 10, 150*ms)
			if !errors.Is(err, s.err) || (s.err == nil && err != nil) {
				t.Fatalf("%s: err = %v, want %v", s.name, err, s.err)
			}
			if got != s.want {
				t.Fatalf("%s: wait = %v, want %v", s.name, got, s.want)
			}
		}
		if got := l.Key("2001"); got != "wasla:rate:2001" {
			t.Errorf("Key = %q", got)
		}
		if ttl := c.PTTL(ctx, "wasla:rate:2001").Val(); ttl <= 0 || ttl > 2*time.Second {
			t.Errorf("PTTL = %v, want an expiry of about a second", ttl)
		}
	})
}

func TestRedisLimiterBurst(t *testing.T) {
	redisServers(t, func(t *testing.T, c redis.UniversalClient) {
		l := NewRedisLimiter(c, "b", clock.NewManual(t0))
		l.Burst = 3
		var waits []time.Duration
		for range 5 {
			w, err := l.Reserve(context.Background(), "2001", 10, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			waits = append(waits, w)
		}
		want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
		if !slices.Equal(waits, want) {
			t.Errorf("waits = %v, want %v", waits, want)
		}
	})
}

// Replicas share one pace: concurrent reservations from two limiters over one Redis get
// distinct slots, one interval apart.
func TestRedisLimiterSharedByReplicas(t *testing.T) {
	redisServers(t, func(t *testing.T, c redis.UniversalClient) {
		clk := clock.NewManual(t0)
		replicas := []*RedisLimiter{NewRedisLimiter(c, "wasla", clk), NewRedisLimiter(c, "wasla", clk)}
		const n = 40
		var mu sync.Mutex
		var waits []time.Duration
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				w, err := replicas[i%2].Reserve(context.Background(), "2001", 1000, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				waits = append(waits, w)
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(waits)
		for i, w := range waits {
			if w != time.Duration(i)*time.Millisecond {
				t.Fatalf("waits = %v: slot %d is %v, want %v", waits, i, w, time.Duration(i)*time.Millisecond)
			}
		}
	})
}

// Without a clock the script reads the Redis server's time.
func TestRedisLimiterServerTime(t *testing.T) {
	redisServers(t, func(t *testing.T, c redis.UniversalClient) {
		l := NewRedisLimiter(c, "wasla", nil)
		ctx := context.Background()
		if w, err := l.Reserve(ctx, "2001", 1, time.Minute); err != nil || w != 0 {
			t.Fatalf("first = %v, %v", w, err)
		}
		w, err := l.Reserve(ctx, "2001", 1, time.Minute)
		if err != nil || w <= 0 || w > time.Second {
			t.Fatalf("second = %v, %v; want a wait in (0, 1s]", w, err)
		}
	})
}

func TestRedisLimiterRejectsBadRate(t *testing.T) {
	l := NewRedisLimiter(nil, "wasla", nil)
	if _, err := l.Reserve(context.Background(), "2001", 0, time.Second); err == nil {
		t.Error("rate 0 accepted")
	}
}

func chatID(s string) chat.NumberID { return chat.NumberID(s) }

// With Batch, a replica reserves Batch of slots per round trip and hands them out at their
// times; two replicas batching together still never share a slot, and slots left unused
// past their time are dropped rather than bunched.
func TestRedisLimiterBatchesSlots(t *testing.T) {
	redisServers(t, func(t *testing.T, c redis.UniversalClient) {
		clk := clock.NewManual(t0)
		a, b := NewRedisLimiter(c, "batch", clk), NewRedisLimiter(c, "batch", clk)
		a.Batch, b.Batch = 10*time.Millisecond, 10*time.Millisecond // 10 slots at 1,000/s
		ctx := context.Background()
		at := map[time.Duration]bool{} // slot times, from t0
		for i := range 40 {
			l := a
			if i >= 20 {
				l = b
			}
			w, err := l.Reserve(ctx, "2001", 1000, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			slot := clk.Now().Add(w).Sub(t0)
			if at[slot] {
				t.Fatalf("send %d got slot %v twice", i, slot)
			}
			at[slot] = true
		}
		if got := a.rounds.Load() + b.rounds.Load(); got != 4 {
			t.Errorf("%d round trips for 40 sends in batches of 10, want 4", got)
		}
		if len(at) != 40 || !at[39*time.Millisecond] {
			t.Errorf("slots %v, want 0..39ms", at)
		}
		// a holds no slot now; after an idle spell its next batch starts at the clock.
		clk.Advance(time.Second)
		if w, err := a.Reserve(ctx, "2001", 1000, time.Minute); err != nil || w != 0 {
			t.Errorf("after an idle second: wait %v, %v; want 0", w, err)
		}
		clk.Advance(50 * time.Millisecond) // its 9 other slots passed unused
		if w, err := a.Reserve(ctx, "2001", 1000, time.Minute); err != nil || w != 0 || a.rounds.Load() != 4 {
			t.Errorf("after its batch's time passed: wait %v, %v, %d round trips; want 0 and a fresh batch", w, err, a.rounds.Load())
		}
	})
}
