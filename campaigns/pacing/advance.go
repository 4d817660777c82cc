package pacing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// Day outcome fields: the quality failures and the opt-outs a number's campaign sends met
// on one day, the inputs of Ramp.Judge besides the day's sends (the reserve script's n).
const (
	OutcomeQualityFailure = "qf"
	OutcomeOptOut         = "oo"
)

// outcomeTTL keeps a day's outcomes long enough for the next day's judgement in any zone,
// and for late status webhooks.
const outcomeTTL = 8 * 24 * time.Hour

// OutcomeKey returns the key of a number's outcomes on day: hash qf, oo.
func (s *RedisState) OutcomeKey(number chat.NumberID, day string) string {
	return s.prefix + ":pacing:outcome:" + string(number) + ":" + day
}

// JudgeMarkKey returns the key that says a replica is judging number's day: the first to
// set it judges, so exactly one replica advances a number per day.
func (s *RedisState) JudgeMarkKey(number chat.NumberID, day string) string {
	return s.prefix + ":pacing:judging:" + string(number) + ":" + day
}

// Note counts one outcome (OutcomeQualityFailure or OutcomeOptOut) against number's day.
func (s *RedisState) Note(ctx context.Context, number chat.NumberID, day, field string) error {
	key := s.OutcomeKey(number, day)
	pipe := s.client.Pipeline()
	pipe.HIncrBy(ctx, key, field, 1)
	pipe.Expire(ctx, key, outcomeTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("counting a %s of number %s: %w", field, number, err)
	}
	return nil
}

// DayResult reads what n did on day: its sends (the day's reservations), its quality
// failures and opt-outs, and its last send (zero when it sent nothing).
func (s *RedisState) DayResult(ctx context.Context, n NumberRef, day string) (DayResult, time.Time, error) {
	pipe := s.client.Pipeline()
	sends := pipe.HMGet(ctx, s.DayKey(n, day), "n", "last")
	outs := pipe.HMGet(ctx, s.OutcomeKey(n.Number, day), OutcomeQualityFailure, OutcomeOptOut)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return DayResult{}, time.Time{}, fmt.Errorf("reading day %s of number %s: %w", day, n.Number, err)
	}
	atoi := func(v any) int {
		s, _ := v.(string)
		i, _ := strconv.Atoi(s)
		return i
	}
	d := DayResult{Day: day}
	var last time.Time
	if v := sends.Val(); len(v) == 2 {
		d.Sent = atoi(v[0])
		if ms := atoi(v[1]); ms > 0 {
			last = time.UnixMilli(int64(ms))
		}
	}
	if v := outs.Val(); len(v) == 2 {
		d.QualityFailures, d.OptOuts = atoi(v[0]), atoi(v[1])
	}
	return d, last, nil
}

// Judgement is one number's day judged by Advance.
type Judgement struct {
	Number  chat.NumberID
	Result  DayResult
	Before  Warmup
	After   Warmup
	Verdict Verdict
	Reason  string
}

// Advance judges n's finished day (normally yesterday in the day zone) once across every
// replica: a number whose warm-up already covers day is left alone; otherwise the replica
// that sets the day's judge mark (SET NX, held for lease) reads the day's sends and
// outcomes, applies Ramp.Wake and Ramp.Judge and saves the step. A replica that dies
// between the mark and the save leaves the mark to expire, and another judges the day
// after lease. It returns the warm-up to use, and the judgement when this call made one.
func (s *RedisState) Advance(ctx context.Context, n NumberRef, ramp Ramp, w Warmup, day string, lease time.Duration) (Warmup, *Judgement, error) {
	if w.Day >= day {
		return w, nil, nil
	}
	won, err := s.client.SetNX(ctx, s.JudgeMarkKey(n.Number, day), "1", lease).Result()
	if err != nil {
		return w, nil, fmt.Errorf("marking day %s of number %s: %w", day, n.Number, err)
	}
	if !won {
		return w, nil, nil
	}
	// Read again under the mark: another replica may have saved the day since w was read.
	cur, err := s.Load(ctx, []chat.NumberID{n.Number})
	if err != nil {
		return w, nil, err
	}
	w = cur[n.Number]
	if w.Day >= day {
		return w, nil, nil
	}
	d, last, err := s.DayResult(ctx, n, day)
	if err != nil {
		return w, nil, err
	}
	j := &Judgement{Number: n.Number, Result: d, Before: w}
	if d.Sent > 0 && !last.IsZero() {
		w = ramp.Wake(w, last)
	}
	w, j.Verdict, j.Reason = ramp.Judge(w, d)
	if !last.IsZero() && last.After(w.LastSend) {
		w.LastSend = last
	}
	j.After = w
	if err := s.Save(ctx, n.Number, w); err != nil {
		return j.Before, nil, err
	}
	return w, j, nil
}
