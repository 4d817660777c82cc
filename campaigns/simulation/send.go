package simulation

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/chat"
)

func (r *runner) num(id chat.NumberID) *number {
	for _, x := range r.nums {
		if x.n.Number == id {
			return x
		}
	}
	panic("simulation: the planner chose a number outside the pool: " + string(id))
}

func (r *runner) add(ctx context.Context, x *number, s health.Signal) {
	// MemoryStore.Add fails only for an unknown signal, which the code never passes.
	_ = r.store.Add(ctx, x.n.Number, r.day, s, 1)
	r.total[s]++
}

// send plays one send of c from id at the clock's time; it returns when to try c again
// when it must be (131049's ladder, 131048's reassignment).
func (r *runner) send(ctx context.Context, c chat.ContactID, id chat.NumberID) (time.Time, bool) {
	now := r.clk.Now()
	x := r.num(id)
	if x.hour != r.hour {
		x.hour, x.hourSent = r.hour, 0
	}
	x.hourSent++
	x.today.Sent++
	x.n.Warmup.LastSend = now
	r.res.Sent++
	r.add(ctx, x, health.Sent)
	if r.canary.Sent < r.sc.Pacing.Canary.Size(r.canary.Audience) {
		r.canary.LastSend = now // the slice's last send starts the pause
	}
	r.canary.Sent++
	if r.firstSend.IsZero() {
		r.firstSend = now
	}
	busiest := 0
	for _, n := range x.history[max(0, len(x.history)-7):] {
		busiest = max(busiest, n)
	}
	f := r.m.factor(x.today.Sent, x.hourSent, busiest) * (1 + r.m.RetryGrowth*float64(r.retries[c]))
	if r.rng.Float64() < r.m.Fatigued {
		r.retries[c]++
		if at, ok := outcome.DefaultLadder().Next(r.retries[c], now); ok {
			return at, true
		}
		r.settled++
		return time.Time{}, false
	}
	if r.rng.Float64() < r.m.Undeliverable {
		r.add(ctx, x, health.Undeliverable)
		r.canary.Failed++
		r.res.Undelivered++
		r.settled++
		return time.Time{}, false
	}
	if r.m.SpamLimitAt > 0 && f > r.m.SpamLimitAt && r.rng.Float64() < min(0.5, (f-r.m.SpamLimitAt)/r.m.MaxFactor) {
		r.add(ctx, x, health.SpamLimit)
		r.canary.Failed++
		return now.Add(time.Hour), true // Reassign: another number, later
	}
	r.tplSent++
	if r.m.TemplateThreshold > 0 && !r.released && r.tplSent > r.m.TemplateThreshold {
		r.held = append(r.held, held{contact: c, num: x, factor: f})
		x.today.Held++
		return time.Time{}, false
	}
	r.deliver(ctx, c, x, f)
	return time.Time{}, false
}

// deliver plays a delivered message and the recipient's reactions.
func (r *runner) deliver(ctx context.Context, c chat.ContactID, x *number, f float64) {
	r.res.Reached++
	r.settled++
	x.today.Delivered++
	x.del++
	r.tplDel++
	r.canary.Delivered++
	r.add(ctx, x, health.Delivered)
	if p, ok := r.sc.Rates.Price(r.sc.Category, true, string(c)); ok {
		r.res.Cost += p
	}
	if r.rng.Float64() < r.m.Read {
		r.add(ctx, x, health.Read)
		if r.rng.Float64() < r.m.Reply {
			r.add(ctx, x, health.Replied)
		}
	}
	if r.rng.Float64() < r.m.OptOut*f {
		r.add(ctx, x, health.OptOut)
		r.canary.OptedOut++
		x.today.OptOuts++
	}
	if r.rng.Float64() < r.m.Negative*f {
		r.add(ctx, x, health.Negative)
	}
	if r.rng.Float64() < r.m.Block*f {
		r.add(ctx, x, health.Block)
		x.today.Blocks++
		x.neg++
		r.tplNeg++
	}
	if r.rng.Float64() < r.m.Report*f {
		x.neg++ // a report reaches Meta's rating, not wasla
		r.tplNeg++
	}
}

// releaseHeld ends Meta's template hold when its time has come: the held messages are
// released, or dropped on a bad signal — and then the template is paused.
func (r *runner) releaseHeld(ctx context.Context) error {
	if r.released || r.m.TemplateThreshold <= 0 || r.firstSend.IsZero() || r.clk.Now().Before(r.firstSend.Add(r.m.TemplateHold)) {
		return nil
	}
	r.released = true
	rate := float64(r.tplNeg) / float64(max(r.tplDel, 1))
	if rate > r.m.TemplateDropAt {
		r.res.Dropped += len(r.held)
		r.settled += len(r.held)
		reason := fmt.Sprintf("Meta's template pacing dropped %d held messages: %.1f%% of the first %d recipients blocked or reported (model threshold %.1f%%); the template is paused",
			len(r.held), 100*rate, r.tplDel, 100*r.m.TemplateDropAt)
		r.res.Stopped = reason
		r.res.Events = append(r.res.Events, health.Event{At: r.clk.Now(), To: health.Stopped, Reason: reason})
		r.held = nil
		return nil
	}
	for _, h := range r.held {
		r.deliver(ctx, h.contact, h.num, h.factor)
	}
	r.held = nil
	return nil
}

// startDay sets each number's row for the day that begins.
func (r *runner) startDay() {
	at := r.clk.Now()
	for _, x := range r.nums {
		x.today = NumberDay{Number: x.n.Number, Step: x.n.Warmup.Step + 1}
		if x.n.Usable {
			x.today.Cap = r.planner.Cap(x.n, at)
		}
		x.neg, x.del = 0, 0
	}
}

// endDay closes the day: Meta's rating, the warm-up judgement, the health policy, the
// day's row.
func (r *runner) endDay(ctx context.Context) error {
	for _, x := range r.nums {
		r.rate(ctx, x)
		days, err := r.store.Days(ctx, x.n.Number, []string{r.day})
		if err != nil {
			return err
		}
		d := days[0]
		ramp := r.sc.Pacing.Ramp
		if x.n.Ramp != nil {
			ramp = *x.n.Ramp
		}
		x.n.Warmup, _, _ = ramp.Judge(x.n.Warmup, pacingDay(r.day, d))
	}
	if err := r.evaluate(ctx, true); err != nil {
		return err
	}
	row := Day{Day: r.day}
	for _, x := range r.nums {
		x.today.Rating = x.meta.Rating
		x.today.State = x.standing.State
		if x.meta.CannotSend {
			x.today.State = health.Retired // by Meta, with or without a policy
		}
		x.today.Allowance = x.standing.Allowance
		row.Numbers = append(row.Numbers, x.today)
		earned := x.today.Sent
		if x.meta.Rating != health.Green && x.meta.Rating != health.Unknown {
			earned = 0 // a day that hurt the rating earns the number no trust
		}
		x.history = append(x.history, earned)
	}
	row.Waits = waitSummary(r.waits)
	clear(r.waits)
	r.res.Days = append(r.res.Days, row)
	if err := r.rebuild(); err != nil {
		return err
	}
	r.startDay()
	return nil
}

// rate is the modelled Meta's daily quality rating of x, and its restriction.
func (r *runner) rate(ctx context.Context, x *number) {
	x.negDays = append(x.negDays, [2]int{x.neg, x.del})
	var neg, del, w float64 = 0, 0, 1
	for i := len(x.negDays) - 1; i >= 0 && i >= len(x.negDays)-7; i-- {
		neg += w * float64(x.negDays[i][0])
		del += w * float64(x.negDays[i][1])
		w *= r.m.RatingDecay
	}
	if del == 0 {
		return // nothing to judge: the rating stands
	}
	rate := neg / del
	switch {
	case r.m.RedAt > 0 && rate >= r.m.RedAt:
		x.meta.Rating = health.Red
		if x.del > 0 { // restricted for going on while RED, not for a RED it sits out
			x.redDays++
		}
		if !x.red {
			x.red = true
			r.res.ReachedRed = append(r.res.ReachedRed, x.n.Number)
		}
	case r.m.YellowAt > 0 && rate >= r.m.YellowAt:
		x.meta.Rating, x.redDays = health.Yellow, 0
	default:
		x.meta.Rating, x.redDays = health.Green, 0
	}
	if r.m.RestrictAfter > 0 && x.redDays >= r.m.RestrictAfter && !x.meta.CannotSend {
		x.meta.CannotSend = true
		x.meta.Reason = fmt.Sprintf("restricted after %d RED days", x.redDays)
		r.res.Restricted = append(r.res.Restricted, x.n.Number)
	}
	_ = r.store.SetMeta(ctx, x.n.Number, x.meta) // MemoryStore.SetMeta cannot fail
}

// evaluate runs the health policy over every number; endOfDay judges r.day as a day
// (a stopped number's clean days), otherwise it is the continuous hourly check.
func (r *runner) evaluate(ctx context.Context, endOfDay bool) error {
	h := r.sc.Health
	if h == nil { // no policy acts, but the score is still shown
		h = &Health{Weights: health.DefaultWeights()}
	}
	noon := dayNoon(r.day, r.sc.Pacing.DayZone)
	changed := false
	for _, x := range r.nums {
		if r.sc.Health == nil {
			days, err := r.store.Days(ctx, x.n.Number, health.Window(noon, r.sc.Pacing.DayZone))
			if err != nil {
				return err
			}
			x.today.Score = h.Weights.Compute(days, x.meta).Value
			continue
		}
		// The live server's judge (health.Monitor), on the simulator's store and clock.
		day := x.standing.LastDay
		if endOfDay {
			day = r.day
		}
		// A resumed number restarts its warm-up through the monitor's hook, as live.
		mon := &health.Monitor{Store: r.store, Standings: r.store, Weights: h.Weights, Policy: h.Policy,
			Sink: eventLog{&r.res.Events}, Zone: r.sc.Pacing.DayZone, Clock: r.clk,
			Restart: health.RestartFunc(func(_ context.Context, _ chat.NumberID, step int, _ string) error {
				x.n.Warmup.Step = step
				return nil
			})}
		j, err := mon.JudgeAt(ctx, x.n.Number, x.meta, noon, day)
		if err != nil {
			return err
		}
		x.today.Score, x.standing = j.Score.Value, j.Standing
		if !j.Changed {
			continue
		}
		changed = true
	}
	if reason := h.StopLoss.Check(r.total); r.sc.Health != nil && reason != "" && r.res.Stopped == "" {
		r.res.Stopped = "stop-loss: " + reason
		r.res.Events = append(r.res.Events, health.Event{At: r.clk.Now(), To: health.Stopped, Reason: r.res.Stopped})
	}
	if changed {
		return r.rebuild()
	}
	return nil
}

func dayNoon(day string, zone *time.Location) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, zone)
	if err != nil {
		panic("simulation: a day the planner wrote does not parse: " + day)
	}
	return t.Add(12 * time.Hour)
}

// waitSummary names what held sends back, most frequent first.
func waitSummary(w map[pacingWait]int) []string {
	type kv struct {
		k pacingWait
		n int
	}
	var all []kv
	for k, n := range w {
		all = append(all, kv{k, n})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].k < all[j].k })
	var out []string
	for _, e := range all {
		name := e.k.String()
		if e.k == 0 {
			name = "canary_pause"
		}
		out = append(out, name)
	}
	return slices.Clip(out)
}

// eventLog collects the judge's events in the result.
type eventLog struct{ evs *[]health.Event }

func (l eventLog) Emit(_ context.Context, e health.Event) error {
	*l.evs = append(*l.evs, e)
	return nil
}
