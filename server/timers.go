package server

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// Defaults of TimerNotes.
const (
	// DefaultTimerHorizon is how far ahead a noted timer is kept in memory; later ones
	// (ask timeouts of hours, waits of days) are left to the poll of the store's timer
	// index, which finds them at most limits.timer_interval late.
	DefaultTimerHorizon = 10 * time.Minute
	// DefaultTimerNotes bounds the timers kept in memory (a few MB); beyond it the poll
	// finds them.
	DefaultTimerNotes = 1 << 16
)

// TimerNotes holds the timers this process committed that fall due soon, earliest first,
// so that the server fires each at its moment instead of on the next poll of the store's
// timer index: a burst window's answer then leaves when the window closes, not up to a
// poll interval later. The engine tells it of every timer it commits (engine.Options.OnTimer
// = Note). The poll still runs, at limits.timer_interval: it fires the timers other
// replicas set before they died, those set before a restart, and those beyond the horizon.
// All methods are safe for concurrent use.
type TimerNotes struct {
	horizon time.Duration
	max     int
	now     func() time.Time
	// after waits for a duration; tests replace it.
	after func(time.Duration) <-chan time.Time

	mu   sync.Mutex
	h    dueHeap
	wake chan struct{} // a note earlier than every other one: the loop re-plans its sleep
}

// NewTimerNotes returns empty notes reading the time from now (nil: the wall clock).
func NewTimerNotes(now func() time.Time) *TimerNotes {
	if now == nil {
		now = time.Now
	}
	return &TimerNotes{horizon: DefaultTimerHorizon, max: DefaultTimerNotes, now: now,
		after: time.After, wake: make(chan struct{}, 1)}
}

// Note records that contact id has a timer due at due. It is engine.Options.OnTimer.
func (n *TimerNotes) Note(id chat.ContactID, due time.Time) {
	if due.Sub(n.now()) > n.horizon {
		return
	}
	n.mu.Lock()
	if len(n.h) >= n.max {
		n.mu.Unlock()
		return
	}
	heap.Push(&n.h, dueNote{id: id, due: due})
	first := n.h[0].id == id && n.h[0].due.Equal(due)
	n.mu.Unlock()
	if first {
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
}

// take removes the notes due at or before now and returns their contacts (each once) and
// the time the earliest note left is due (zero when none is).
func (n *TimerNotes) take(now time.Time) ([]chat.ContactID, time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var ids []chat.ContactID
	var seen map[chat.ContactID]bool
	for len(n.h) > 0 && !n.h[0].due.After(now) {
		id := heap.Pop(&n.h).(dueNote).id
		if seen == nil {
			seen = map[chat.ContactID]bool{}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(n.h) == 0 {
		return ids, time.Time{}
	}
	return ids, n.h[0].due
}

// Len is how many timers are noted.
func (n *TimerNotes) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.h)
}

type dueNote struct {
	id  chat.ContactID
	due time.Time
}

// dueHeap is a min-heap of notes by due time.
type dueHeap []dueNote

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueNote)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// timerFirers fires noted timers on a fixed pool of goroutines, at most one run per contact
// at a time: a contact noted again while its run is in flight is run once more after it.
type timerFirers struct {
	s    *Server
	jobs chan chat.ContactID

	mu       sync.Mutex
	inFlight map[chat.ContactID]bool // true: noted again meanwhile, run once more
}

// wakeLoop sleeps until the earliest noted timer is due (at most the poll interval, and
// re-planned when an earlier one is noted), hands every due contact to the pool of
// DueWorkers firers, and stops when ctx is done, after the firers finished their runs.
func (s *Server) wakeLoop(ctx context.Context) {
	n := s.d.TimerNotes
	f := &timerFirers{s: s, jobs: make(chan chat.ContactID, s.d.Workers), inFlight: map[chat.ContactID]bool{}}
	var wg sync.WaitGroup
	for range s.d.Workers {
		wg.Go(func() {
			for id := range f.jobs {
				f.run(ctx, id)
			}
		})
	}
	defer func() { close(f.jobs); wg.Wait() }()
	for {
		ids, next := n.take(s.now())
		for _, id := range ids {
			if !f.claim(id) {
				continue
			}
			select {
			case f.jobs <- id:
			case <-ctx.Done():
				return
			}
		}
		wait := s.d.TimerInterval
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(s.now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		case <-n.after(wait):
		}
	}
}

// claim marks id in flight and says whether to queue it; an id already in flight is marked
// to run again instead.
func (f *timerFirers) claim(id chat.ContactID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, busy := f.inFlight[id]; busy {
		f.inFlight[id] = true
		return false
	}
	f.inFlight[id] = false
	return true
}

// run fires id's due timers, again while it was noted during the run.
func (f *timerFirers) run(ctx context.Context, id chat.ContactID) {
	for {
		f.s.fireContact(ctx, id)
		f.mu.Lock()
		again := f.inFlight[id]
		if !again {
			delete(f.inFlight, id)
		} else {
			f.inFlight[id] = false
		}
		f.mu.Unlock()
		if !again {
			return
		}
	}
}

// fireContact fires one contact's due timers. Its run finishes even when the server is
// being stopped, within HandleTimeout, like a message's.
func (s *Server) fireContact(ctx context.Context, id chat.ContactID) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.HandleTimeout)
	defer cancel()
	fired, err := s.d.Engine.FireDue(fctx, id)
	if fired {
		s.metrics.timers.Inc()
	}
	if err != nil && !errors.Is(err, engine.ErrDelivery) {
		s.log.Error("running a due timer", slog.String("contact", id.Redacted()), slog.Any("error", err))
	}
}
