package pacing

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wasla/wasla/chat"
)

// Warmups keeps each number's place on its ramp, shared by every replica, so that a
// restart or another replica goes on from the same step. Judge the day once (Ramp.Judge
// is idempotent per day) and Save the result. Implementations must be safe for concurrent
// use.
type Warmups interface {
	Load(ctx context.Context, numbers []chat.NumberID) (map[chat.NumberID]Warmup, error)
	Save(ctx context.Context, number chat.NumberID, w Warmup) error
}

var (
	_ Warmups = (*RedisState)(nil)
	_ Warmups = (*MemoryState)(nil)
)

// WarmupKey returns the key of the numbers' warm-up hash: number -> Warmup JSON.
func (s *RedisState) WarmupKey() string { return s.prefix + ":pacing:warmup" }

// Load implements Warmups; a number never saved is at the start of its ramp.
func (s *RedisState) Load(ctx context.Context, numbers []chat.NumberID) (map[chat.NumberID]Warmup, error) {
	out := make(map[chat.NumberID]Warmup, len(numbers))
	if len(numbers) == 0 {
		return out, nil
	}
	fields := make([]string, len(numbers))
	for i, n := range numbers {
		fields[i] = string(n)
	}
	vals, err := s.client.HMGet(ctx, s.WarmupKey(), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the numbers' warm-up: %w", err)
	}
	for i, v := range vals {
		w := Warmup{}
		if str, ok := v.(string); ok {
			if err := json.Unmarshal([]byte(str), &w); err != nil {
				return nil, fmt.Errorf("reading the warm-up of number %s: %w", numbers[i], err)
			}
		}
		out[numbers[i]] = w
	}
	return out, nil
}

// Save implements Warmups.
func (s *RedisState) Save(ctx context.Context, number chat.NumberID, w Warmup) error {
	b, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("saving the warm-up of number %s: %w", number, err)
	}
	if err := s.client.HSet(ctx, s.WarmupKey(), string(number), b).Err(); err != nil {
		return fmt.Errorf("saving the warm-up of number %s: %w", number, err)
	}
	return nil
}

// Load implements Warmups.
func (m *MemoryState) Load(_ context.Context, numbers []chat.NumberID) (map[chat.NumberID]Warmup, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[chat.NumberID]Warmup, len(numbers))
	for _, n := range numbers {
		out[n] = m.warmups[n]
	}
	return out, nil
}

// Save implements Warmups.
func (m *MemoryState) Save(_ context.Context, number chat.NumberID, w Warmup) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.warmups == nil {
		m.warmups = map[chat.NumberID]Warmup{}
	}
	m.warmups[number] = w
	return nil
}
