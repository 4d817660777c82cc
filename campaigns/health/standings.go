package health

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

var (
	_ Standings = (*MemoryStore)(nil)
	_ Standings = (*RedisStore)(nil)
)

// standingKey is the hash number -> Standing JSON.
func (s *RedisStore) standingKey() string { return s.prefix + ":health:standing" }

// leaseKey is the judge's lease: the replica that holds it polls Meta and judges.
func (s *RedisStore) leaseKey() string { return s.prefix + ":health:lease" }

// Standings implements Standings.
func (s *RedisStore) Standings(ctx context.Context) (map[chat.NumberID]Standing, error) {
	all, err := s.client.HGetAll(ctx, s.standingKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the numbers' health standings: %w", err)
	}
	out := make(map[chat.NumberID]Standing, len(all))
	for n, v := range all {
		var st Standing
		if err := json.Unmarshal([]byte(v), &st); err != nil {
			return nil, fmt.Errorf("reading the health standing of number %s: %w", n, err)
		}
		out[chat.NumberID(n)] = st
	}
	return out, nil
}

// SetStanding implements Standings.
func (s *RedisStore) SetStanding(ctx context.Context, number chat.NumberID, st Standing) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("saving the health standing of number %s: %w", number, err)
	}
	if err := s.client.HSet(ctx, s.standingKey(), string(number), b).Err(); err != nil {
		return fmt.Errorf("saving the health standing of number %s: %w", number, err)
	}
	return nil
}

// MetaAll returns Meta's last status of every number that has one.
func (s *RedisStore) MetaAll(ctx context.Context) (map[chat.NumberID]MetaStatus, error) {
	all, err := s.client.HGetAll(ctx, s.metaKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("reading Meta's status of the numbers: %w", err)
	}
	out := make(map[chat.NumberID]MetaStatus, len(all))
	for n, v := range all {
		var m MetaStatus
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			return nil, fmt.Errorf("reading Meta's status of number %s: %w", n, err)
		}
		out[chat.NumberID(n)] = m
	}
	return out, nil
}

// renewLease takes the lease when it is free or extends it when owner holds it.
var renewLease = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur == false or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// Lease takes or renews the judge's lease for owner for ttl and reports whether owner
// holds it: one replica at a time polls the Graph API and judges, the others only read.
// A replica that dies loses the lease after ttl and another takes over.
func (s *RedisStore) Lease(ctx context.Context, owner string, ttl time.Duration) (bool, error) {
	n, err := renewLease.Run(ctx, s.client, []string{s.leaseKey()}, owner, ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("taking the number health lease: %w", err)
	}
	return n == 1, nil
}

// memoryStandings are MemoryStore's standings, apart so its zero value needs no map.
type memoryStandings struct {
	mu sync.Mutex
	m  map[chat.NumberID]Standing
}

// Standings implements Standings.
func (m *MemoryStore) Standings(context.Context) (map[chat.NumberID]Standing, error) {
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	out := make(map[chat.NumberID]Standing, len(m.st.m))
	for k, v := range m.st.m {
		out[k] = v
	}
	return out, nil
}

// SetStanding implements Standings.
func (m *MemoryStore) SetStanding(_ context.Context, number chat.NumberID, s Standing) error {
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	if m.st.m == nil {
		m.st.m = map[chat.NumberID]Standing{}
	}
	m.st.m[number] = s
	return nil
}

// MetaAll returns Meta's last status of every number that has one.
func (m *MemoryStore) MetaAll(context.Context) (map[chat.NumberID]MetaStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[chat.NumberID]MetaStatus, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out, nil
}

// ClearStanding forgets number's standing: the operator's way back for a retired number
// (or any other); the next judgement starts it active on a fresh standing.
func (s *RedisStore) ClearStanding(ctx context.Context, number chat.NumberID) (bool, error) {
	n, err := s.client.HDel(ctx, s.standingKey(), string(number)).Result()
	if err != nil {
		return false, fmt.Errorf("clearing the health standing of number %s: %w", number, err)
	}
	return n > 0, nil
}
