package health

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// Store keeps each number's daily counts and Meta's latest status, shared by every
// replica. Days are YYYY-MM-DD in the business's zone, as the pacing planner's days.
// Implementations must be safe for concurrent use.
type Store interface {
	// Add counts n more of s for number on day.
	Add(ctx context.Context, number chat.NumberID, day string, s Signal, n int) error
	// Days returns number's counts on each of days, in that order (zero for a day without
	// any).
	Days(ctx context.Context, number chat.NumberID, days []string) ([]Counts, error)
	// SetMeta records Meta's latest status of number, and Meta reads it.
	SetMeta(ctx context.Context, number chat.NumberID, m MetaStatus) error
	Meta(ctx context.Context, number chat.NumberID) (MetaStatus, error)
}

var (
	_ Store = (*MemoryStore)(nil)
	_ Store = (*RedisStore)(nil)
)

// Window returns the seven days ending with the day of now in zone, today first: the
// days a score reads.
func Window(now time.Time, zone *time.Location) []string {
	if zone == nil {
		zone = time.UTC
	}
	l := now.In(zone)
	out := make([]string, 7)
	for d := range out {
		out[d] = time.Date(l.Year(), l.Month(), l.Day()-d, 12, 0, 0, 0, zone).Format(time.DateOnly)
	}
	return out
}

// MemoryStore is a Store in one process: the simulator's and the forecast's twin of
// RedisStore. It keeps every day it is given (a simulation is short).
type MemoryStore struct {
	mu   sync.Mutex
	days map[chat.NumberID]map[string]*Counts
	meta map[chat.NumberID]MetaStatus
	st   memoryStandings
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{days: map[chat.NumberID]map[string]*Counts{}, meta: map[chat.NumberID]MetaStatus{}}
}

// Add implements Store.
func (m *MemoryStore) Add(_ context.Context, number chat.NumberID, day string, s Signal, n int) error {
	if s < 0 || s >= numSignals {
		return fmt.Errorf("counting %v for number %s: no such signal", s, number)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	byDay := m.days[number]
	if byDay == nil {
		byDay = map[string]*Counts{}
		m.days[number] = byDay
	}
	c := byDay[day]
	if c == nil {
		c = &Counts{}
		byDay[day] = c
	}
	c[s] += n
	return nil
}

// Days implements Store.
func (m *MemoryStore) Days(_ context.Context, number chat.NumberID, days []string) ([]Counts, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Counts, len(days))
	for i, d := range days {
		if c := m.days[number][d]; c != nil {
			out[i] = *c
		}
	}
	return out, nil
}

// SetMeta implements Store.
func (m *MemoryStore) SetMeta(_ context.Context, number chat.NumberID, s MetaStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.meta[number] = s
	return nil
}

// Meta implements Store.
func (m *MemoryStore) Meta(_ context.Context, number chat.NumberID) (MetaStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.meta[number], nil
}

// RedisStore is the live Store. Keys, under the prefix:
//
//	<prefix>:health:{<number>}:<YYYY-MM-DD>  hash  signal name -> count; expires after 8 days
//	<prefix>:health:meta                     hash  number -> MetaStatus JSON
//
// A day's bucket is one hash, so Add is one HINCRBY (with its EXPIRE in the same
// pipeline) and a score's seven days are seven HGETALLs in one round trip.
type RedisStore struct {
	client redis.UniversalClient
	prefix string
}

// BucketTTL is how long a daily bucket outlives its day: the seven-day window and a day
// of slack for zones.
const BucketTTL = 8 * 24 * time.Hour

// NewRedisStore returns a store on client whose keys start with prefix ("wasla").
func NewRedisStore(client redis.UniversalClient, prefix string) *RedisStore {
	return &RedisStore{client: client, prefix: prefix}
}

func (s *RedisStore) dayKey(number chat.NumberID, day string) string {
	return s.prefix + ":health:{" + string(number) + "}:" + day
}

func (s *RedisStore) metaKey() string { return s.prefix + ":health:meta" }

// Add implements Store.
func (s *RedisStore) Add(ctx context.Context, number chat.NumberID, day string, sig Signal, n int) error {
	if sig < 0 || sig >= numSignals {
		return fmt.Errorf("counting %v for number %s: no such signal", sig, number)
	}
	key := s.dayKey(number, day)
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, key, sig.String(), int64(n))
		p.Expire(ctx, key, BucketTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("counting %s for number %s: %w", sig, number, err)
	}
	return nil
}

// Days implements Store.
func (s *RedisStore) Days(ctx context.Context, number chat.NumberID, days []string) ([]Counts, error) {
	cmds := make([]*redis.MapStringStringCmd, len(days))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range days {
			cmds[i] = p.HGetAll(ctx, s.dayKey(number, d))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the health of number %s: %w", number, err)
	}
	out := make([]Counts, len(days))
	for i, cmd := range cmds {
		for field, v := range cmd.Val() {
			sig, ok := ParseSignal(field)
			if !ok {
				continue // a field from a newer version: ignored, not fatal
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("reading the health of number %s on %s: %s is %q, not a count", number, days[i], field, v)
			}
			out[i][sig] = n
		}
	}
	return out, nil
}

// SetMeta implements Store.
func (s *RedisStore) SetMeta(ctx context.Context, number chat.NumberID, m MetaStatus) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("saving Meta's status of number %s: %w", number, err)
	}
	if err := s.client.HSet(ctx, s.metaKey(), string(number), b).Err(); err != nil {
		return fmt.Errorf("saving Meta's status of number %s: %w", number, err)
	}
	return nil
}

// Meta implements Store.
func (s *RedisStore) Meta(ctx context.Context, number chat.NumberID) (MetaStatus, error) {
	var m MetaStatus
	v, err := s.client.HGet(ctx, s.metaKey(), string(number)).Result()
	if err == redis.Nil {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("reading Meta's status of number %s: %w", number, err)
	}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return m, fmt.Errorf("reading Meta's status of number %s: %w", number, err)
	}
	return m, nil
}
