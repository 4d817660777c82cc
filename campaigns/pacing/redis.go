package pacing

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

//go:embed reserve.lua
var reserveSource string

var reserveScript = redis.NewScript(reserveSource)

// releaseScript undoes a reservation: one send less on the day, and the contact out of the
// reach set when the reservation put it there.
var releaseScript = redis.NewScript(`
if tonumber(redis.call('HGET', KEYS[2], 'n') or '0') > 0 then
  redis.call('HINCRBY', KEYS[2], 'n', -1)
end
if ARGV[2] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('DEL', KEYS[3])
return 1`)

// DefaultPrefix is the key prefix when none is given, the same as the store's.
const DefaultPrefix = "wasla"

// dayTTL keeps a number's day key past the end of the day in any zone, so a late reader
// still sees it; it is long enough for a day of any length and short enough to clean up.
const dayTTL = 48 * time.Hour

// RedisState is the State shared through Redis. A portfolio's keys carry its hash tag, so
// one script reserves a number's day and the portfolio's reach together on one cluster
// slot (every number belongs to one portfolio):
//
//	<prefix>:{pf:<portfolio>}:reach              sorted set: contact -> last reach (unix ms)
//	<prefix>:{pf:<portfolio>}:day:<number>:<day> hash: n (sends), last (unix ms)
//	<prefix>:{pf:<portfolio>}:pair:<number>:<contact> the pair's mark, for the pair gap
//
// Reserve is one round trip. It is safe for concurrent use.
type RedisState struct {
	client redis.UniversalClient
	prefix string
}

var _ State = (*RedisState)(nil)

// NewRedisState returns the state over client; prefix "" means DefaultPrefix.
func NewRedisState(client redis.UniversalClient, prefix string) *RedisState {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &RedisState{client: client, prefix: prefix}
}

// ReachKey returns the key of a portfolio's reach set.
func (s *RedisState) ReachKey(portfolio string) string {
	return s.prefix + ":{pf:" + portfolio + "}:reach"
}

// DayKey returns the key of a number's day.
func (s *RedisState) DayKey(n NumberRef, day string) string {
	return s.prefix + ":{pf:" + n.Portfolio + "}:day:" + string(n.Number) + ":" + day
}

// PairKey returns the key of a (number, contact) pair's mark: it lives for the pair gap
// after a send (Meta's pair rate limit).
func (s *RedisState) PairKey(n NumberRef, contact chat.ContactID) string {
	return s.prefix + ":{pf:" + n.Portfolio + "}:pair:" + string(n.Number) + ":" + string(contact)
}

// Reserve implements State.
func (s *RedisState) Reserve(ctx context.Context, r Reservation) (Grant, error) {
	counts := 0
	if r.Counts {
		counts = 1
	}
	res, err := reserveScript.Run(ctx, s.client, []string{s.ReachKey(r.Portfolio), s.DayKey(r.NumberRef, r.Day), s.PairKey(r.NumberRef, r.Contact)},
		string(r.Contact), r.At.UnixMilli(), r.DailyCap, r.Gap.Milliseconds(), counts, r.Limit,
		r.Window.Milliseconds(), dayTTL.Milliseconds(), r.PairGap.Milliseconds()).Int64Slice()
	if err != nil {
		return Grant{}, fmt.Errorf("reserving a send of number %s: %w", r.Number, err)
	}
	g := Grant{OK: res[0] == 1, Wait: Wait(res[1]), Added: res[3] == 1}
	if res[2] > 0 {
		g.RetryAt = time.UnixMilli(res[2])
	}
	return g, nil
}

// Release implements State.
func (s *RedisState) Release(ctx context.Context, r Reservation, g Grant) error {
	if !g.OK {
		return nil
	}
	added := "0"
	if g.Added {
		added = "1"
	}
	err := releaseScript.Run(ctx, s.client, []string{s.ReachKey(r.Portfolio), s.DayKey(r.NumberRef, r.Day), s.PairKey(r.NumberRef, r.Contact)},
		string(r.Contact), added).Err()
	if err != nil {
		return fmt.Errorf("releasing a send of number %s: %w", r.Number, err)
	}
	return nil
}

// Usage implements State, in one pipelined round trip.
func (s *RedisState) Usage(ctx context.Context, day string, numbers []NumberRef, now time.Time, window time.Duration) (Usage, error) {
	pipe := s.client.Pipeline()
	days := make([]*redis.SliceCmd, len(numbers))
	type reachCmds struct {
		count  *redis.IntCmd
		oldest *redis.ZSliceCmd
	}
	reaches := map[string]reachCmds{}
	from := strconv.FormatInt(now.Add(-window).UnixMilli(), 10)
	for i, n := range numbers {
		days[i] = pipe.HMGet(ctx, s.DayKey(n, day), "n", "last")
		if _, ok := reaches[n.Portfolio]; ok {
			continue
		}
		key := s.ReachKey(n.Portfolio)
		reaches[n.Portfolio] = reachCmds{
			count:  pipe.ZCount(ctx, key, "("+from, "+inf"),
			oldest: pipe.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: key, Start: "(" + from, Stop: "+inf", ByScore: true, Count: 1}),
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return Usage{}, fmt.Errorf("reading the pacing usage: %w", err)
	}
	u := newUsage()
	for i, n := range numbers {
		vals := days[i].Val()
		if len(vals) == 2 {
			if v, ok := vals[0].(string); ok {
				u.SentToday[n.Number], _ = strconv.Atoi(v)
			}
			if v, ok := vals[1].(string); ok {
				ms, _ := strconv.ParseInt(v, 10, 64)
				u.LastSend[n.Number] = time.UnixMilli(ms)
			}
		}
	}
	for pf, c := range reaches {
		u.Reached[pf] = int(c.count.Val())
		if z := c.oldest.Val(); len(z) == 1 {
			u.FreesAt[pf] = time.UnixMilli(int64(z[0].Score)).Add(window)
		}
	}
	return u, nil
}
