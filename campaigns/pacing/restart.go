package pacing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
)

// ErrJudging means another replica is judging the number's day right now: try again.
var ErrJudging = errors.New("another replica is judging the number's warm-up day")

// Restart puts number back on warm-up step step from day (YYYY-MM-DD, the day it
// resumes), for the health policy's resume. The days before day are marked judged, so
// Advance does not lift the fresh step by a day sent on the old one: the first day
// judged on the new step is day itself, the day after. The day before's judge mark is
// taken (held for lease) so a replica cannot judge it in between; when another replica
// holds it and has not saved its judgement yet, Restart returns ErrJudging and changes
// nothing.
func (s *RedisState) Restart(ctx context.Context, number chat.NumberID, step int, day string, lease time.Duration) error {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return fmt.Errorf("restarting the warm-up of number %s: %w", number, err)
	}
	before := d.AddDate(0, 0, -1).Format(time.DateOnly)
	won, err := s.client.SetNX(ctx, s.JudgeMarkKey(number, before), "1", lease).Result()
	if err != nil {
		return fmt.Errorf("marking day %s of number %s: %w", before, number, err)
	}
	cur, err := s.Load(ctx, []chat.NumberID{number})
	if err != nil {
		return err
	}
	w := cur[number]
	if !won && w.Day < before {
		return fmt.Errorf("restarting the warm-up of number %s: %w", number, ErrJudging)
	}
	w.Step = max(step, 0)
	w.Day = max(w.Day, before)
	return s.Save(ctx, number, w)
}
