package pacing

import (
	"context"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
)

// State is the pacing state shared by every replica: each number's sends of the day and
// the time of its last send, and each portfolio's set of contacts reached outside a
// window in the rolling reach window. RedisState is the live implementation and
// MemoryState the one of simulations and tests; both pass the same contract tests.
// Implementations must be safe for concurrent use.
type State interface {
	// Reserve takes one send for r atomically, or refuses it with the reason and the
	// moment to try again.
	Reserve(ctx context.Context, r Reservation) (Grant, error)
	// Release gives back a reservation whose send did not happen (the claim was lost, the
	// request never left).
	Release(ctx context.Context, r Reservation, g Grant) error
	// Usage reads the day's sends of numbers and the reach of portfolios at now: the
	// planner's view, which may be a little stale, since Reserve has the last word.
	Usage(ctx context.Context, day string, numbers []NumberRef, now time.Time, window time.Duration) (Usage, error)
}

// NumberRef names a number and its portfolio, whose keys hold its counters.
type NumberRef struct {
	Number    chat.NumberID
	Portfolio string
}

// Reservation asks for one send of Contact from Number.
type Reservation struct {
	NumberRef
	Contact chat.ContactID
	// Day is the number's day (YYYY-MM-DD in the day zone) and DailyCap its cap (0: none).
	Day      string
	DailyCap int
	// Gap is the least time between two sends of the number (0: none).
	Gap time.Duration
	// Counts is true when the send reaches the contact outside an open window, so it
	// counts against the portfolio's limit (Limit unique contacts, 0: none, in Window).
	Counts bool
	Limit  int
	Window time.Duration
	// PairGap is the least time between two sends from Number to Contact (Meta's pair
	// rate limit, 131056); 0: none.
	PairGap time.Duration
	At      time.Time
}

// Grant is the answer to a Reservation.
type Grant struct {
	OK bool
	// Wait says why it was refused, and RetryAt when it may succeed.
	Wait    Wait
	RetryAt time.Time
	// Added is true when the contact entered the portfolio's reach set, so Release takes
	// it out again.
	Added bool
}

// Usage is a snapshot of the shared state.
type Usage struct {
	SentToday map[chat.NumberID]int
	LastSend  map[chat.NumberID]time.Time
	// Reached counts a portfolio's unique contacts in the window, and FreesAt is when the
	// oldest of them leaves it.
	Reached map[string]int
	FreesAt map[string]time.Time
}

// MemoryState is a State in memory, for virtual-time simulation and tests: one process,
// no Redis, the same rules as RedisState.
type MemoryState struct {
	mu    sync.Mutex
	days  map[dayKey]*numberDay
	reach map[string]*reachSet
	// warmups holds each number's place on its ramp (Warmups).
	warmups map[chat.NumberID]Warmup
	// pairs holds when each (number, contact) pair may be sent to again.
	pairs map[pairKey]time.Time
}

type pairKey struct {
	number  chat.NumberID
	contact chat.ContactID
}

// reachSet is a portfolio's contacts with the time each was last reached, and a queue of
// reaches in time order, so expiring the old ones and finding the oldest cost O(1)
// amortised even for a portfolio of 100,000 contacts.
type reachSet struct {
	last  map[chat.ContactID]time.Time
	queue []reach
}

type reach struct {
	contact chat.ContactID
	at      time.Time
}

// expire drops the reaches at or before cutoff and the superseded ones from the front.
func (s *reachSet) expire(cutoff time.Time) {
	for len(s.queue) > 0 {
		e := s.queue[0]
		at, ok := s.last[e.contact]
		switch {
		case !ok || !at.Equal(e.at): // superseded by a later reach, or released
		case !e.at.After(cutoff):
			delete(s.last, e.contact)
		default:
			return
		}
		s.queue[0] = reach{}
		s.queue = s.queue[1:]
	}
}

// oldest returns the earliest reach still in the set (after expire).
func (s *reachSet) oldest() (time.Time, bool) {
	if len(s.queue) == 0 {
		return time.Time{}, false
	}
	return s.queue[0].at, true
}

type dayKey struct {
	number chat.NumberID
	day    string
}

type numberDay struct {
	sent int
	last time.Time
}

// NewMemoryState returns an empty state.
func NewMemoryState() *MemoryState {
	return &MemoryState{days: map[dayKey]*numberDay{}, reach: map[string]*reachSet{}}
}

// Reserve implements State.
func (m *MemoryState) Reserve(_ context.Context, r Reservation) (Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := m.days[dayKey{r.Number, r.Day}]
	if d == nil {
		d = &numberDay{}
	}
	if r.DailyCap > 0 && d.sent >= r.DailyCap {
		return Grant{Wait: WaitDailyCap}, nil
	}
	if r.Gap > 0 && !d.last.IsZero() && r.At.Before(d.last.Add(r.Gap)) {
		return Grant{Wait: WaitSpacing, RetryAt: d.last.Add(r.Gap)}, nil
	}
	pk := pairKey{r.Number, r.Contact}
	if until, ok := m.pairs[pk]; ok && r.PairGap > 0 && r.At.Before(until) {
		return Grant{Wait: WaitPair, RetryAt: until}, nil
	}
	g := Grant{OK: true}
	if r.Counts {
		set := m.reach[r.Portfolio]
		if set == nil {
			set = &reachSet{last: map[chat.ContactID]time.Time{}}
			m.reach[r.Portfolio] = set
		}
		set.expire(r.At.Add(-r.Window))
		if _, seen := set.last[r.Contact]; !seen {
			if r.Limit > 0 && len(set.last) >= r.Limit {
				oldest, _ := set.oldest()
				return Grant{Wait: WaitPortfolio, RetryAt: oldest.Add(r.Window)}, nil
			}
			g.Added = true
		}
		set.last[r.Contact] = r.At
		set.queue = append(set.queue, reach{r.Contact, r.At})
	}
	d.sent++
	d.last = r.At
	m.days[dayKey{r.Number, r.Day}] = d
	if r.PairGap > 0 {
		if m.pairs == nil {
			m.pairs = map[pairKey]time.Time{}
		}
		m.pairs[pk] = r.At.Add(r.PairGap)
	}
	return g, nil
}

// Release implements State.
func (m *MemoryState) Release(_ context.Context, r Reservation, g Grant) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !g.OK {
		return nil
	}
	if d := m.days[dayKey{r.Number, r.Day}]; d != nil && d.sent > 0 {
		d.sent--
	}
	if set := m.reach[r.Portfolio]; g.Added && set != nil {
		delete(set.last, r.Contact)
	}
	delete(m.pairs, pairKey{r.Number, r.Contact})
	return nil
}

// Usage implements State.
func (m *MemoryState) Usage(_ context.Context, day string, numbers []NumberRef, now time.Time, window time.Duration) (Usage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := newUsage()
	for _, n := range numbers {
		if d := m.days[dayKey{n.Number, day}]; d != nil {
			u.SentToday[n.Number] = d.sent
			u.LastSend[n.Number] = d.last
		}
		if _, done := u.Reached[n.Portfolio]; done {
			continue
		}
		if set := m.reach[n.Portfolio]; set != nil {
			set.expire(now.Add(-window))
			u.Reached[n.Portfolio] = len(set.last)
			if oldest, ok := set.oldest(); ok {
				u.FreesAt[n.Portfolio] = oldest.Add(window)
			}
		} else {
			u.Reached[n.Portfolio] = 0
		}
	}
	return u, nil
}

func newUsage() Usage {
	return Usage{SentToday: map[chat.NumberID]int{}, LastSend: map[chat.NumberID]time.Time{},
		Reached: map[string]int{}, FreesAt: map[string]time.Time{}}
}
