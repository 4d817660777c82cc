package server

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// fakeAfter hands the wake loop's sleeps to the test: it records each requested wait and
// returns a channel the test fires.
type fakeAfter struct {
	mu    sync.Mutex
	waits []time.Duration
	ch    chan time.Time
}

func (f *fakeAfter) after(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	return f.ch
}

func (f *fakeAfter) last() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.waits) == 0 {
		return -1
	}
	return f.waits[len(f.waits)-1]
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWakeLoopFiresEachTimerAtItsMoment: a timer noted as due now is fired at once, not
// on the next poll; one due later makes the loop sleep exactly until it (not the poll
// interval), and it is fired when that sleep ends; one beyond the horizon is left to the
// poll.
func TestWakeLoopFiresEachTimerAtItsMoment(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	notes := NewTimerNotes(clk.Now)
	fa := &fakeAfter{ch: make(chan time.Time)}
	notes.after = fa.after
	r := newRig(t, func(d *Deps) {
		d.TimerNotes = notes
		d.Clock = clk
		d.TimerInterval = time.Minute
		d.Workers = 4
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.srv.wakeLoop(ctx) }()
	defer func() { cancel(); <-done }()

	fired := func(ids ...chat.ContactID) func() bool {
		return func() bool {
			got := r.engine.Fired()
			slices.Sort(got)
			return slices.Equal(got, ids)
		}
	}
	notes.Note("a", clk.Now())
	eventually(t, "the due timer fired at once", fired("a"))

	notes.Note("b", clk.Now().Add(2*time.Second))
	eventually(t, "the loop sleeps until the next timer", func() bool { return fa.last() == 2*time.Second })
	if got := r.engine.Fired(); len(got) != 1 {
		t.Fatalf("fired %v before its time", got)
	}
	clk.Advance(2 * time.Second)
	fa.ch <- clk.Now()
	eventually(t, "the timer fired when the sleep ended", fired("a", "b"))
	eventually(t, "with nothing noted, the loop sleeps the poll interval", func() bool { return fa.last() == time.Minute })

	notes.Note("c", clk.Now().Add(DefaultTimerHorizon+time.Second))
	if n := notes.Len(); n != 0 {
		t.Errorf("a timer beyond the horizon was kept (%d notes)", n)
	}
}

// TestTimerNotesTakeEachContactOnce: notes come out earliest first, each contact once per
// take however often it was noted, and later ones stay.
func TestTimerNotesTakeEachContactOnce(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	n := NewTimerNotes(func() time.Time { return now })
	n.Note("b", now.Add(2*time.Second))
	n.Note("a", now.Add(time.Second))
	n.Note("b", now.Add(time.Second))
	n.Note("c", now.Add(5*time.Second))
	ids, next := n.take(now.Add(2 * time.Second))
	if want := []chat.ContactID{"a", "b"}; !slices.Equal(slices.Sorted(slices.Values(ids)), want) || len(ids) != 2 {
		t.Errorf("take = %v, want a and b once each", ids)
	}
	if !next.Equal(now.Add(5 * time.Second)) {
		t.Errorf("next = %v, want c's due time", next)
	}
	if ids, next := n.take(now.Add(5 * time.Second)); !slices.Equal(ids, []chat.ContactID{"c"}) || !next.IsZero() {
		t.Errorf("take = %v, %v; want c and nothing left", ids, next)
	}
}
