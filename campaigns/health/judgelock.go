package health

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// judgeLockKey is held while one replica judges one number: the lease holder's round,
// or the replica a quality or account webhook reached, judging that number at once.
func (s *RedisStore) judgeLockKey(number chat.NumberID) string {
	return s.prefix + ":health:judging:{" + string(number) + "}"
}

// releaseJudgeLock deletes the lock only when owner still holds it.
var releaseJudgeLock = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// JudgeLock takes number's judge lock for owner for at most ttl (a replica dying with it
// delays that number's next judgement by ttl). ok is false when another replica judges
// the number now; release gives the lock back.
func (s *RedisStore) JudgeLock(ctx context.Context, number chat.NumberID, owner string, ttl time.Duration) (release func(), ok bool, err error) {
	key := s.judgeLockKey(number)
	ok, err = s.client.SetNX(ctx, key, owner, ttl).Result()
	if err != nil {
		return nil, false, fmt.Errorf("locking number %s to judge it: %w", number, err)
	}
	if !ok {
		return nil, false, nil
	}
	return func() {
		// A lock left behind expires after ttl; nothing else to do on failure.
		_ = releaseJudgeLock.Run(context.WithoutCancel(ctx), s.client, []string{key}, owner).Err()
	}, true, nil
}
