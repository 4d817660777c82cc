package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/normalize"
)

// Standings keeps each number's Standing under the policy, shared by every replica, so
// the replica that judges next goes on from where the last one left off.
// Implementations must be safe for concurrent use.
type Standings interface {
	// Standings returns the standing of every number judged so far.
	Standings(ctx context.Context) (map[chat.NumberID]Standing, error)
	SetStanding(ctx context.Context, number chat.NumberID, s Standing) error
}

// Monitor is the live side of the package: it counts the server's signals into the
// Store and, on the loop's schedule, judges each number with the same Compute and
// Evaluate the simulator and the forecast run. Only the clock and the stores differ.
type Monitor struct {
	Store     Store
	Standings Standings
	Weights   Weights
	Policy    Policy
	// Phrases are the negative replies; OptOutWords returns the flows' opt-out words,
	// folded (flows.Settings.OptOutWords, as the flows now loaded have them): a reply that
	// is exactly one is an opt-out. nil: none.
	Phrases     *Phrases
	OptOutWords func() []string
	// Sink receives every change of a standing (nil: none).
	Sink Sink
	// Zone is the zone of the daily buckets (the pacing day zone; nil: UTC).
	Zone  *time.Location
	Clock clock.Clock
	// Restart puts a number the policy resumes back on its fresh warm-up step (nil: the
	// warm-up is not the monitor's to change). It runs before the standing is saved: a
	// failed restart leaves the number stopped, and the next judgement resumes it again.
	Restart Restarter
}

// Restarter puts a resumed number back on warm-up step step, from day (the day judged,
// YYYY-MM-DD): live, the shared pacing.Warmups; in the simulator, its pool.
type Restarter interface {
	Restart(ctx context.Context, number chat.NumberID, step int, day string) error
}

// RestartFunc is a Restarter of one function.
type RestartFunc func(ctx context.Context, number chat.NumberID, step int, day string) error

// Restart implements Restarter.
func (f RestartFunc) Restart(ctx context.Context, number chat.NumberID, step int, day string) error {
	return f(ctx, number, step, day)
}

// Resumed reports whether the judgement from before to after resumes a stopped number.
func Resumed(before, after Standing) bool { return before.State == Stopped && after.State == Active }

// Day returns the bucket day of t.
func (m *Monitor) Day(t time.Time) string {
	zone := m.Zone
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format(time.DateOnly)
}

func (m *Monitor) now() time.Time {
	if m.Clock == nil {
		return time.Now()
	}
	return m.Clock.Now()
}

// Count adds one s to number's bucket of the day of at (the event's own time; zero: now).
func (m *Monitor) Count(ctx context.Context, number chat.NumberID, s Signal, at time.Time) error {
	if number == "" {
		return nil
	}
	if at.IsZero() {
		at = m.now()
	}
	return m.Store.Add(ctx, number, m.Day(at), s, 1)
}

// ReplySignals returns what a contact's reply says about the number it reached: always
// a reply; and an opt-out when the text is one of the opt-out words, else a negative
// reply when it holds one of the phrases. Only texts are read: a tap on a button is a
// reply and nothing more.
func (m *Monitor) ReplySignals(text string) []Signal {
	out := []Signal{Replied}
	if text == "" {
		return out
	}
	if m.OptOutWords != nil && slices.Contains(m.OptOutWords(), normalize.Text(text)) {
		return append(out, OptOut)
	}
	if m.Phrases != nil && m.Phrases.Match(text) != "" {
		return append(out, Negative)
	}
	return out
}

// Judgement is one number's place after a judge: its score, Meta's word and the
// standing the policy gives it.
type Judgement struct {
	Number   chat.NumberID
	Score    Score
	Meta     MetaStatus
	Standing Standing
	Changed  bool
	// Today are the number's counts of the day.
	Today Counts
}

// Judge scores number from its seven days and meta (Meta's word, merged by the caller
// from the webhooks and the last poll), evaluates the policy, saves a changed standing
// and reports the change to the Sink. A failing sink does not undo the decision: it is
// returned joined, for the caller to report.
func (m *Monitor) Judge(ctx context.Context, number chat.NumberID, meta MetaStatus) (Judgement, error) {
	now := m.now()
	return m.JudgeAt(ctx, number, meta, now, m.Day(now))
}

// JudgeAt is Judge over the seven days ending with the day of at, judging day: the
// clean-day count of a stopped number grows once per day judged, however often it runs.
// The live loop judges today as it goes; the simulator judges each day at its end.
func (m *Monitor) JudgeAt(ctx context.Context, number chat.NumberID, meta MetaStatus, at time.Time, day string) (Judgement, error) {
	now := m.now()
	zone := m.Zone
	if zone == nil {
		zone = time.UTC
	}
	days, err := m.Store.Days(ctx, number, Window(at, zone))
	if err != nil {
		return Judgement{}, err
	}
	all, err := m.Standings.Standings(ctx)
	if err != nil {
		return Judgement{}, err
	}
	before, ok := all[number]
	if !ok {
		before = NewStanding()
	}
	sc := m.Weights.Compute(days, meta)
	j := Judgement{Number: number, Score: sc, Meta: meta, Today: days[0]}
	s, changed := m.Policy.Evaluate(before, sc, meta, day)
	j.Standing, j.Changed = s, changed
	if s.same(before) {
		return j, nil
	}
	if Resumed(before, s) && m.Restart != nil {
		if err := m.Restart.Restart(ctx, number, s.ResumeStep, day); err != nil {
			j.Standing, j.Changed = before, false
			return j, fmt.Errorf("number %s resumes, but its warm-up could not restart: %w", number, err)
		}
	}
	if err := m.Standings.SetStanding(ctx, number, s); err != nil {
		return j, err
	}
	if !changed || m.Sink == nil {
		return j, nil
	}
	ev := Event{At: now, Number: string(number), From: before.State, To: s.State, Allowance: s.Allowance, Score: sc.Value, Reason: s.Reason}
	if err := m.Sink.Emit(ctx, ev); err != nil {
		return j, fmt.Errorf("number %s: %w", number, err)
	}
	return j, nil
}

// JudgeAll judges every number in turn; a number that fails does not keep the others
// from being judged.
func (m *Monitor) JudgeAll(ctx context.Context, metas map[chat.NumberID]MetaStatus, numbers []chat.NumberID) ([]Judgement, error) {
	out := make([]Judgement, 0, len(numbers))
	var errs []error
	for _, n := range numbers {
		j, err := m.Judge(ctx, n, metas[n])
		if err != nil {
			errs = append(errs, err)
		}
		if j.Number != "" {
			out = append(out, j)
		}
	}
	return out, errors.Join(errs...)
}

// Usable reports whether a standing lets the number send at all.
func (s Standing) Usable() bool { return s.State != Stopped && s.State != Retired }
