package numbers

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// RedisStates is a StateStore over Redis: one string key per number,
// <prefix>:num:<phone number id>, holding the State JSON, without expiry. It works on a
// single server, Sentinel and Redis Cluster alike (each call touches one key).
type RedisStates struct {
	client redis.UniversalClient
	prefix string
}

// NewRedisStates returns a StateStore over client under the deployment's key prefix, which
// the contact store owns (store.Redis.Prefix): numbers declares no prefix of its own.
func NewRedisStates(client redis.UniversalClient, prefix string) *RedisStates {
	return &RedisStates{client: client, prefix: prefix}
}

// Key returns the key of the number's state.
func (s *RedisStates) Key(id chat.NumberID) string { return s.prefix + ":num:" + string(id) }

// Get returns the stored state JSON, or nil when none is stored.
func (s *RedisStates) Get(ctx context.Context, id chat.NumberID) ([]byte, error) {
	data, err := s.client.Get(ctx, s.Key(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return data, err
}

// Set stores the state JSON.
func (s *RedisStates) Set(ctx context.Context, id chat.NumberID, state []byte) error {
	return s.client.Set(ctx, s.Key(id), state, 0).Err()
}
