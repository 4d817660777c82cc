package pacing

import (
	"context"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
)

// Wait says why a contact cannot be sent now.
type Wait int

// Waits. The values are part of the reserve script's answer.
const (
	WaitNone      Wait = iota
	WaitDailyCap       // every number used its warm-up cap for the day
	WaitSpacing        // the numbers' sends are being spread over the day
	WaitPortfolio      // the portfolio reached its messaging limit in the rolling window
	WaitHours          // outside the sending hours in the contact's time zone
	WaitNoNumber       // no number of the pool may send (all stopped or restricted)
	WaitPair           // the number wrote to this contact a moment ago (pair rate limit, 131056)
)

// String names the wait for logs, metrics and the plan.
func (w Wait) String() string {
	switch w {
	case WaitNone:
		return "none"
	case WaitDailyCap:
		return "daily_cap"
	case WaitSpacing:
		return "spacing"
	case WaitPortfolio:
		return "portfolio_limit"
	case WaitHours:
		return "quiet_hours"
	case WaitNoNumber:
		return "no_number"
	case WaitPair:
		return "pair_rate"
	}
	return fmt.Sprintf("wait(%d)", int(w))
}

// Number is a pool number as the planner sees it.
type Number struct {
	NumberRef
	// Tier is the portfolio's messaging-limit tier (Config.Tiers).
	Tier string
	// Warmup is where the number stands on its ramp, and Ramp its own ramp (nil: the
	// configuration's).
	Warmup Warmup
	Ramp   *Ramp
	// Usable is false when the number may not send (stopped, restricted, banned).
	Usable bool
	// Throughput is the number's messages per second; 0: Config.DefaultThroughput.
	Throughput int
	// Allowance is the share of the warm-up cap the health policy lets the number send
	// (campaigns/health); 0 or 1: all of it. A smaller cap also widens the spread between
	// sends, so a slowed number sends less and more slowly. For a number past its last
	// capped step, the share applies to that last cap.
	Allowance float64
}

// Window is a contact's open customer service window on one number.
type Window struct {
	Number chat.NumberID
	Until  time.Time
}

// Candidate is a contact to send to.
type Candidate struct {
	Contact chat.ContactID
	// Zone is the contact's time zone (Zones.Of); nil: the fallback.
	Zone *time.Location
	// Windows are the contact's open windows on pool numbers. A marketing template inside
	// one does not count against the portfolio's limit nor the per-user cap, so such a
	// contact goes first, from that number.
	Windows []Window
}

// Decision is the planner's answer for one candidate.
type Decision struct {
	// Number sends now, when it is not empty.
	Number chat.NumberID
	// Counts is true when the send counts against the portfolio's limit.
	Counts bool
	// Wait and At say, when Number is empty, why not now and when to try again.
	Wait Wait
	At   time.Time
}

// Planner makes the scheduler's decisions: which number sends to a contact, now or
// when. It is pure code over the time it is given and a Usage snapshot, so a live campaign
// (wall clock, RedisState) and a forecast or simulation (virtual clock, MemoryState) run
// the same decisions. A Planner is immutable and safe for concurrent use.
type Planner struct {
	cfg     Config
	hours   *Hours
	numbers []Number
	limits  map[string]int // portfolio -> limit (0: none)
}

// NewPlanner returns a planner for a pool of numbers under cfg.
func NewPlanner(cfg Config, pool []Number) (*Planner, error) {
	if cfg.DayZone == nil {
		cfg.DayZone = time.UTC
	}
	if cfg.ReachWindow <= 0 {
		return nil, fmt.Errorf("the reach window must be positive, not %v", cfg.ReachWindow)
	}
	if err := cfg.Ramp.Validate(); err != nil {
		return nil, err
	}
	hours, err := ParseHours(cfg.Hours)
	if err != nil {
		return nil, err
	}
	p := &Planner{cfg: cfg, hours: hours, numbers: append([]Number(nil), pool...), limits: map[string]int{}}
	for _, n := range pool {
		if n.Portfolio == "" {
			return nil, fmt.Errorf("number %s names no portfolio: the messaging limit is shared per portfolio, so every number needs one", n.Number)
		}
		if n.Ramp != nil {
			if err := n.Ramp.Validate(); err != nil {
				return nil, fmt.Errorf("number %s: %w", n.Number, err)
			}
		}
		limit, err := cfg.TierLimit(n.Tier)
		if err != nil {
			return nil, fmt.Errorf("number %s: %w", n.Number, err)
		}
		if old, ok := p.limits[n.Portfolio]; ok && old != limit {
			return nil, fmt.Errorf("number %s: portfolio %s has two tiers; all its numbers share one limit", n.Number, n.Portfolio)
		}
		p.limits[n.Portfolio] = limit
	}
	return p, nil
}

// Refs returns the pool's numbers and portfolios, for State.Usage.
func (p *Planner) Refs() []NumberRef {
	refs := make([]NumberRef, len(p.numbers))
	for i, n := range p.numbers {
		refs[i] = n.NumberRef
	}
	return refs
}

// Throughput returns the messages per second of a pool number, for the limiter (the
// sending package's live, MemoryThroughput in virtual time).
func (p *Planner) Throughput(number chat.NumberID) int {
	for _, n := range p.numbers {
		if n.Number == number && n.Throughput > 0 {
			return n.Throughput
		}
	}
	return max(p.cfg.DefaultThroughput, 1)
}

// Day returns the day of t in the day zone: the key of the numbers' daily caps.
func (p *Planner) Day(t time.Time) string { return t.In(p.cfg.DayZone).Format(time.DateOnly) }

// Yesterday returns the day before t's in the day zone: the last finished day, the one
// a number's warm-up is judged on.
func (p *Planner) Yesterday(t time.Time) string {
	l := t.In(p.cfg.DayZone)
	return time.Date(l.Year(), l.Month(), l.Day()-1, 12, 0, 0, 0, p.cfg.DayZone).Format(time.DateOnly)
}

// Pool returns the planner's numbers (a copy).
func (p *Planner) Pool() []Number { return append([]Number(nil), p.numbers...) }

// RampOf returns the ramp the number follows: its own, else the configuration's.
func (p *Planner) RampOf(number chat.NumberID) Ramp {
	for i := range p.numbers {
		if p.numbers[i].Number == number {
			return *p.ramp(&p.numbers[i])
		}
	}
	return p.cfg.Ramp
}

// WithWarmups returns a planner whose numbers stand at the given warm-ups (a number not
// in w keeps its own): the live runner reads them from Warmups every pass, since another
// replica may have advanced a number.
func (p *Planner) WithWarmups(w map[chat.NumberID]Warmup) *Planner {
	q := *p
	q.numbers = append([]Number(nil), p.numbers...)
	for i := range q.numbers {
		if v, ok := w[q.numbers[i].Number]; ok {
			q.numbers[i].Warmup = v
		}
	}
	return &q
}

// nextDay returns the start of the day after t's, in the day zone.
func (p *Planner) nextDay(t time.Time) time.Time {
	l := t.In(p.cfg.DayZone)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, p.cfg.DayZone)
}

// ramp returns the ramp of n.
func (p *Planner) ramp(n *Number) *Ramp {
	if n.Ramp != nil {
		return n.Ramp
	}
	return &p.cfg.Ramp
}

// Cap returns n's daily cap at now (0: none).
func (p *Planner) Cap(n Number, now time.Time) int {
	r := p.ramp(&n)
	limit := r.Cap(r.Wake(n.Warmup, now))
	if n.Allowance <= 0 || n.Allowance >= 1 {
		return limit
	}
	if limit == 0 {
		limit = r.LastCap()
	}
	return max(1, int(n.Allowance*float64(limit)))
}

// gap returns the least time between two of n's sends at a daily cap.
func (p *Planner) gap(cap int) time.Duration {
	if !p.cfg.Spread || cap <= 0 || p.cfg.SpreadOver <= 0 {
		return 0
	}
	return p.cfg.SpreadOver / time.Duration(cap)
}

// Decide chooses how c is sent at now given the usage snapshot u:
//
//  1. outside the sending hours in c's zone, c waits for the next allowed moment;
//  2. a usable number on which c's window is open sends first, without counting against
//     the portfolio's limit;
//  3. otherwise the usable number with the most daily allowance left whose portfolio has
//     room sends — numbers of one portfolio share its room, so rotating between them adds
//     none;
//  4. when none can, c waits for the earliest moment one may: the next day (caps), the
//     next spaced slot, or when the oldest reach of a portfolio leaves the window.
func (p *Planner) Decide(now time.Time, c Candidate, u Usage) Decision {
	zone := c.Zone
	if zone == nil {
		zone = p.cfg.DefaultZone
		if zone == nil {
			zone = p.cfg.DayZone
		}
	}
	if at := p.hours.Next(now, zone); at.After(now) {
		return Decision{Wait: WaitHours, At: at}
	}
	for _, w := range c.Windows {
		if !now.Before(w.Until) {
			continue
		}
		for i := range p.numbers {
			n := &p.numbers[i]
			if n.Number == w.Number && n.Usable && p.ready(n, now, u) == WaitNone {
				return Decision{Number: n.Number}
			}
		}
	}
	best, bestLeft := -1, -1
	wait, at := WaitNoNumber, time.Time{}
	later := func(w Wait, t time.Time) {
		if at.IsZero() || t.Before(at) {
			wait, at = w, t
		}
	}
	for i := range p.numbers {
		n := &p.numbers[i]
		if !n.Usable {
			continue
		}
		switch p.ready(n, now, u) {
		case WaitDailyCap:
			later(WaitDailyCap, p.nextDay(now))
			continue
		case WaitSpacing:
			later(WaitSpacing, u.LastSend[n.Number].Add(p.gap(p.Cap(*n, now))))
			continue
		}
		if limit := p.limits[n.Portfolio]; limit > 0 && u.Reached[n.Portfolio] >= limit {
			later(WaitPortfolio, u.FreesAt[n.Portfolio])
			continue
		}
		left := p.left(n, now, u)
		if left > bestLeft {
			best, bestLeft = i, left
		}
	}
	if best >= 0 {
		return Decision{Number: p.numbers[best].Number, Counts: true}
	}
	if at.IsZero() {
		at = now
	}
	return Decision{Wait: wait, At: at}
}

// ready says whether n's cap and spacing let it send at now.
func (p *Planner) ready(n *Number, now time.Time, u Usage) Wait {
	limit := p.Cap(*n, now)
	if limit > 0 && u.SentToday[n.Number] >= limit {
		return WaitDailyCap
	}
	if last, ok := u.LastSend[n.Number]; ok && !last.IsZero() && now.Before(last.Add(p.gap(limit))) {
		return WaitSpacing
	}
	return WaitNone
}

// left returns n's allowance left today; a number without a cap has the most.
func (p *Planner) left(n *Number, now time.Time, u Usage) int {
	limit := p.Cap(*n, now)
	if limit == 0 {
		return int(^uint(0) >> 1)
	}
	return limit - u.SentToday[n.Number]
}

// Reservation returns the reservation that carries out d for c at now.
func (p *Planner) Reservation(now time.Time, c Candidate, d Decision) Reservation {
	var n Number
	for _, x := range p.numbers {
		if x.Number == d.Number {
			n = x
		}
	}
	limit := p.Cap(n, now)
	return Reservation{
		NumberRef: n.NumberRef, Contact: c.Contact, Day: p.Day(now), DailyCap: limit, Gap: p.gap(limit),
		Counts: d.Counts, Limit: p.limits[n.Portfolio], Window: p.cfg.ReachWindow, PairGap: p.cfg.PairGap, At: now,
	}
}

// Next decides for c at now and reserves the send in st: the step the live scheduler and
// the simulator share. When the reservation is refused (another replica took the last
// slot since u was read), the usage is read again and the decision retried, a few times.
// A Decision with a Number comes with the Reservation to Release if the send does not
// happen.
func (p *Planner) Next(ctx context.Context, st State, now time.Time, c Candidate, u Usage) (Decision, Reservation, Grant, error) {
	for range 3 {
		d := p.Decide(now, c, u)
		if d.Number == "" {
			return d, Reservation{}, Grant{}, nil
		}
		r := p.Reservation(now, c, d)
		g, err := st.Reserve(ctx, r)
		if err != nil || g.OK {
			return d, r, g, err
		}
		if g.Wait == WaitPair { // this contact's own wait: the pool may send to others
			return Decision{Wait: WaitPair, At: g.RetryAt}, Reservation{}, Grant{}, nil
		}
		if u, err = st.Usage(ctx, r.Day, p.Refs(), now, p.cfg.ReachWindow); err != nil {
			return Decision{}, Reservation{}, Grant{}, err
		}
	}
	d := p.Decide(now, c, u)
	if d.Number != "" { // the snapshot says yes, the state says no: come back shortly
		d = Decision{Wait: WaitSpacing, At: now.Add(time.Second)}
	}
	return d, Reservation{}, Grant{}, nil
}
