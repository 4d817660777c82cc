package simulation

import (
	"container/heap"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// Scenario is a campaign to play: its pacing, its pool, its audience and its policy.
type Scenario struct {
	Pacing pacing.Config
	Pool   []pacing.Number
	// Contacts is the audience in send order (E.164 digits).
	Contacts []chat.ContactID
	// Zones finds each contact's zone; nil: pacing.NewZones(Pacing.DefaultZone).
	Zones *pacing.Zones
	Start time.Time
	// MaxDays ends the run if the audience is not finished by then; Observe more days are
	// played after the last send, so that Meta's judgement of the last days shows.
	MaxDays int
	Observe int
	// Health is the health policy; nil plays without one (no score acts, no stop-loss).
	Health *Health
	// Rates price delivered messages of Category ("marketing").
	Rates    outcome.Rates
	Category string
}

// Health is the health policy under test.
type Health struct {
	Weights  health.Weights
	Policy   health.Policy
	StopLoss health.StopLoss
}

// DefaultHealth returns the documented defaults of package health.
func DefaultHealth() *Health {
	return &Health{Weights: health.DefaultWeights(), Policy: health.DefaultPolicy(), StopLoss: health.DefaultStopLoss()}
}

// NumberDay is one number's day.
type NumberDay struct {
	Number    chat.NumberID `json:"number"`
	Cap       int           `json:"cap"` // the day's cap after the health allowance (0: none)
	Step      int           `json:"step"`
	Sent      int           `json:"sent"`
	Delivered int           `json:"delivered"`
	Held      int           `json:"held,omitempty"`
	Blocks    int           `json:"blocks,omitempty"`
	OptOuts   int           `json:"opt_outs,omitempty"`
	Score     float64       `json:"score"`
	Rating    health.Rating `json:"rating"`
	State     health.State  `json:"state"`
	Allowance float64       `json:"allowance"`
}

// Day is one day of the run.
type Day struct {
	Day     string      `json:"day"`
	Numbers []NumberDay `json:"numbers"`
	Waits   []string    `json:"waits,omitempty"` // what held sends back that day
}

// Result is what a run did.
type Result struct {
	Days []Day `json:"days"`
	// Finished is the day of the last send ("" when the audience was not finished), and
	// DaysToFinish its index from 1.
	Finished     string `json:"finished,omitempty"`
	DaysToFinish int    `json:"days_to_finish,omitempty"`
	Audience     int    `json:"audience"`
	Sent         int    `json:"sent"`
	Reached      int    `json:"reached"` // delivered
	Undelivered  int    `json:"undelivered"`
	Dropped      int    `json:"dropped"` // dropped by Meta's template pacing
	Unsent       int    `json:"unsent"`
	// ReachedRed and Restricted name the numbers Meta's model rated RED or restricted.
	ReachedRed []chat.NumberID `json:"reached_red"`
	Restricted []chat.NumberID `json:"restricted"`
	Cost       outcome.Micro   `json:"cost"`
	Currency   string          `json:"currency,omitempty"`
	Stopped    string          `json:"stopped,omitempty"` // the canary's or stop-loss's reason
	Events     []health.Event  `json:"events"`
}

// number is a pool number's running state.
type number struct {
	n        pacing.Number
	standing health.Standing
	meta     health.MetaStatus
	redDays  int
	red      bool
	history  []int // sends per past day, newest last
	today    NumberDay
	hour     time.Time
	hourSent int
	negDays  [][2]int // Meta's view per past day: negatives, delivered; newest last
	neg, del int      // today's
}

// held is a message Meta's template pacing holds.
type held struct {
	contact chat.ContactID
	num     *number
	factor  float64
}

// runner plays one scenario.
type runner struct {
	sc      Scenario
	m       Model
	rng     *rand.Rand
	clk     *clock.Manual
	state   *pacing.MemoryState
	tp      *pacing.MemoryThroughput
	store   *health.MemoryStore
	planner *pacing.Planner
	nums    []*number
	res     *Result
	day     string
	hour    time.Time
	waits   map[pacing.Wait]int
	retries map[chat.ContactID]int
	canary  pacing.CanaryProgress
	total   health.Counts
	// template pacing
	firstSend time.Time
	tplSent   int
	tplDel    int
	tplNeg    int
	held      []held
	released  bool
	settled   int // contacts whose fate is final
}

// Run plays sc against m and returns what happened.
func Run(ctx context.Context, sc Scenario, m Model) (*Result, error) {
	if sc.MaxDays <= 0 {
		sc.MaxDays = 60
	}
	if sc.Category == "" {
		sc.Category = "marketing"
	}
	if sc.Zones == nil {
		sc.Zones = pacing.NewZones(sc.Pacing.DefaultZone)
	}
	if sc.Pacing.DayZone == nil {
		sc.Pacing.DayZone = time.UTC
	}
	if sc.Health != nil {
		if err := sc.Health.Policy.Validate(); err != nil {
			return nil, err
		}
	}
	r := &runner{sc: sc, m: m, rng: rand.New(rand.NewPCG(m.Seed, m.Seed^0x9e3779b97f4a7c15)),
		clk: clock.NewManual(sc.Start), state: pacing.NewMemoryState(), store: health.NewMemoryStore(),
		res: &Result{Audience: len(sc.Contacts), Currency: sc.Rates.Currency}, waits: map[pacing.Wait]int{},
		retries: map[chat.ContactID]int{}}
	r.tp = pacing.NewMemoryThroughput(r.clk)
	for _, n := range sc.Pool {
		n.Usable = true
		r.nums = append(r.nums, &number{n: n, standing: health.NewStanding()})
	}
	if err := r.rebuild(); err != nil {
		return nil, err
	}
	r.day = r.planner.Day(sc.Start)
	r.hour = sc.Start.Truncate(time.Hour)
	r.canary.Audience = len(sc.Contacts)
	r.startDay()
	if err := r.loop(ctx); err != nil {
		return nil, err
	}
	return r.res, nil
}

// rebuild makes the planner for the numbers' current warm-up, usability and allowance.
func (r *runner) rebuild() error {
	pool := make([]pacing.Number, len(r.nums))
	for i, x := range r.nums {
		x.n.Usable = x.standing.State != health.Stopped && x.standing.State != health.Retired && !x.meta.CannotSend
		x.n.Allowance = x.standing.Allowance
		pool[i] = x.n
	}
	p, err := pacing.NewPlanner(r.sc.Pacing, pool)
	if err != nil {
		return fmt.Errorf("simulating: %w", err)
	}
	r.planner = p
	return nil
}

// retry is a contact waiting for a moment of its own: its sending hours, or its 131049
// ladder.
type retry struct {
	at      time.Time
	contact chat.ContactID
	seq     int
}

type retryHeap []retry

func (h retryHeap) Len() int { return len(h) }
func (h retryHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h retryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *retryHeap) Push(x any)   { *h = append(*h, x.(retry)) }
func (h *retryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// zoneQueue is the audience of one time zone, in send order: its contacts wait for their
// sending hours together.
type zoneQueue struct {
	zone     *time.Location
	contacts []chat.ContactID
	next     int
	readyAt  time.Time
}

func (r *runner) queues() ([]*zoneQueue, error) {
	var out []*zoneQueue
	byZone := map[*time.Location]*zoneQueue{}
	for _, c := range r.sc.Contacts {
		z, err := r.sc.Zones.Of(c, "")
		if err != nil {
			return nil, fmt.Errorf("simulating: %w", err)
		}
		q := byZone[z]
		if q == nil {
			q = &zoneQueue{zone: z}
			byZone[z] = q
			out = append(out, q)
		}
		q.contacts = append(q.contacts, c)
	}
	return out, nil
}

func (r *runner) loop(ctx context.Context) error {
	end := r.sc.Start.AddDate(0, 0, r.sc.MaxDays)
	queues, err := r.queues()
	if err != nil {
		return err
	}
	var waiting retryHeap
	seq := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("simulating: %w", err)
		}
		now := r.clk.Now()
		if !now.Before(end) || r.res.Stopped != "" {
			break
		}
		var c chat.ContactID
		var q *zoneQueue
		fromHeap := false
		soonest := time.Time{}
		if len(waiting) > 0 {
			if !waiting[0].at.After(now) {
				c, fromHeap = waiting[0].contact, true
			} else {
				soonest = waiting[0].at
			}
		}
		if !fromHeap {
			for _, zq := range queues {
				if zq.next >= len(zq.contacts) {
					continue
				}
				if !zq.readyAt.After(now) {
					q, c = zq, zq.contacts[zq.next]
					break
				}
				if soonest.IsZero() || zq.readyAt.Before(soonest) {
					soonest = zq.readyAt
				}
			}
		}
		if c == "" {
			switch {
			case !soonest.IsZero():
				if err := r.advance(ctx, soonest); err != nil {
					return err
				}
				continue
			case len(r.held) > 0 && !r.released:
				if err := r.advance(ctx, r.firstSend.Add(r.m.TemplateHold)); err != nil {
					return err
				}
				continue
			}
			return r.finish(ctx, now)
		}
		take := func() {
			if fromHeap {
				heap.Pop(&waiting)
			} else {
				q.next++
			}
		}
		if g := r.sc.Pacing.Canary.Gate(r.canary, now); g.Phase == pacing.PhaseStopped {
			r.res.Stopped = "canary: " + g.Reason
			break
		} else if g.Phase == pacing.PhasePause {
			r.waits[pacing.WaitNone]++ // counted as the canary pause
			if err := r.advance(ctx, g.Until); err != nil {
				return err
			}
			continue
		}
		var zone *time.Location
		if q != nil {
			zone = q.zone
		} else if zone, err = r.sc.Zones.Of(c, ""); err != nil {
			return fmt.Errorf("simulating: %w", err)
		}
		cand := pacing.Candidate{Contact: c, Zone: zone}
		u, err := r.state.Usage(ctx, r.planner.Day(now), r.planner.Refs(), now, r.sc.Pacing.ReachWindow)
		if err != nil {
			return fmt.Errorf("simulating: %w", err)
		}
		d, _, _, err := r.planner.Next(ctx, r.state, now, cand, u)
		if err != nil {
			return fmt.Errorf("simulating: %w", err)
		}
		if d.Number == "" {
			r.waits[d.Wait]++
			switch d.Wait {
			case pacing.WaitHours:
				if q != nil {
					q.readyAt = d.At // the whole zone waits for its hours
				} else {
					take()
					seq++
					heap.Push(&waiting, retry{at: d.At, contact: c, seq: seq})
				}
			case pacing.WaitNoNumber:
				// every number is stopped or retired: try again tomorrow, when the
				// policy may have resumed one; give up when all are retired
				if r.allRetired() {
					r.res.Stopped = "every number of the pool is retired"
					continue
				}
				if err := r.advance(ctx, r.sc.Start.Add(time.Duration(r.dayIndex(now)+1)*24*time.Hour)); err != nil {
					return err
				}
			default:
				if err := r.advance(ctx, d.At); err != nil {
					return err
				}
			}
			continue
		}
		take()
		wait, err := r.tp.Reserve(ctx, d.Number, r.planner.Throughput(d.Number), 24*time.Hour)
		if err != nil {
			return fmt.Errorf("simulating: %w", err)
		}
		if wait > 0 {
			if err := r.advance(ctx, now.Add(wait)); err != nil {
				return err
			}
		}
		if at, again := r.send(ctx, c, d.Number); again {
			seq++
			heap.Push(&waiting, retry{at: at, contact: c, seq: seq})
		}
	}
	return r.close(ctx)
}

func (r *runner) allRetired() bool {
	for _, x := range r.nums {
		if x.standing.State != health.Retired && !x.meta.CannotSend {
			return false
		}
	}
	return true
}

func (r *runner) dayIndex(t time.Time) int {
	start := r.sc.Start.In(r.sc.Pacing.DayZone)
	s := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, r.sc.Pacing.DayZone)
	return int(t.Sub(s) / (24 * time.Hour))
}

// finish records the end of the audience and plays the observation days.
func (r *runner) finish(ctx context.Context, now time.Time) error {
	if r.res.Finished == "" {
		r.res.Finished = r.day
		r.res.DaysToFinish = len(r.res.Days) + 1
	}
	until := now.AddDate(0, 0, r.sc.Observe)
	if err := r.advance(ctx, until); err != nil {
		return err
	}
	return r.close(ctx)
}

// close ends the current day if anything happened in it, and totals.
func (r *runner) close(ctx context.Context) error {
	if len(r.res.Days) == 0 || r.res.Days[len(r.res.Days)-1].Day != r.day {
		if err := r.endDay(ctx); err != nil {
			return err
		}
	}
	r.res.Unsent = r.res.Audience - r.settled
	return nil
}

// advance moves the clock to t, closing each hour and day it crosses.
func (r *runner) advance(ctx context.Context, t time.Time) error {
	for {
		nextHour := r.hour.Add(time.Hour)
		if t.Before(nextHour) {
			break
		}
		r.clk.Set(nextHour)
		r.hour = nextHour
		if err := r.releaseHeld(ctx); err != nil {
			return err
		}
		if day := r.planner.Day(nextHour); day != r.day {
			if err := r.endDay(ctx); err != nil {
				return err
			}
			r.day = day
		} else if err := r.evaluate(ctx, false); err != nil {
			return err
		}
	}
	if t.After(r.clk.Now()) {
		r.clk.Set(t)
	}
	return nil
}

type pacingWait = pacing.Wait

// pacingDay is the warm-up judgement's view of a day of health counts.
func pacingDay(day string, c health.Counts) pacing.DayResult {
	return pacing.DayResult{Day: day, Sent: c[health.Sent],
		QualityFailures: c[health.Undeliverable] + c[health.SpamLimit] + c[health.Restricted], OptOuts: c[health.OptOut]}
}

// Blast returns sc as "send it all on day one": each number's single ramp step is its
// share of the audience, with no spread, no canary and no health policy — the way a
// number burns, for comparison.
func Blast(sc Scenario) Scenario {
	share := (len(sc.Contacts) + len(sc.Pool) - 1) / max(len(sc.Pool), 1)
	sc.Pacing.Ramp.Steps = []int{max(share, 1)}
	sc.Pacing.Spread = false
	sc.Pacing.Canary.Share = 0
	sc.Health = nil
	return sc
}
