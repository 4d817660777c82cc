package flowtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
)

// Conversation is what a Driver needs of an engine; *engine.Engine has it.
type Conversation interface {
	Receive(ctx context.Context, tx engine.Tx, in chat.Inbound) error
	RunDue(ctx context.Context) (int, error)
	State(ctx context.Context, id chat.ContactID) (*contact.State, error)
	Flows() *flows.Set
}

var _ Conversation = (*engine.Engine)(nil)

// maxTimerRounds bounds how many times one clock move fires timers, so that a flow whose
// timers keep rescheduling themselves cannot hang a test or the simulator.
const maxTimerRounds = 1000

// Driver moves conversations through an engine as a channel and the passing of time
// would, on a manual clock. User turns are handed to the engine at once; before anything
// is checked, Settle lets the set's burst window pass and fires the timers that fall due.
// Advance moves the clock in steps, stopping at every timer of the contacts it has seen,
// so that a wait that starts another wait fires both when the clock moves past them.
//
// A Driver is not safe for concurrent use; the simulator and the test runner use one from
// a single goroutine.
type Driver struct {
	eng      Conversation
	clock    *clock.Manual
	contacts []chat.ContactID
	seen     map[chat.ContactID]bool
	pending  bool
	ids      int
	run      string // tells this driver's message ids from those of earlier runs
}

// NewDriver returns a driver of eng on clk.
func NewDriver(eng Conversation, clk *clock.Manual) *Driver {
	// Message ids must be unique across runs: a simulator restarted on a persistent store
	// would otherwise send ids the store has already seen, and its deduplication would
	// rightly drop them.
	return &Driver{eng: eng, clock: clk, seen: map[chat.ContactID]bool{}, run: rand.Text()[:8]}
}

// Now returns the driver's clock time.
func (d *Driver) Now() time.Time { return d.clock.Now() }

// Send hands one user turn to the engine, stamped with the clock's time and, when it has
// none, a message id.
func (d *Driver) Send(ctx context.Context, in chat.Inbound) error {
	d.Track(in.Contact)
	if in.ID == "" {
		d.ids++
		in.ID = fmt.Sprintf("wamid.local.%s.%d", d.run, d.ids)
	}
	in.At = d.clock.Now()
	d.pending = true
	if err := d.eng.Receive(ctx, nil, in); err != nil {
		return fmt.Errorf("receiving %s message: %w", in.Kind, err)
	}
	return nil
}

// Track adds a contact whose timers Advance stops at.
func (d *Driver) Track(id chat.ContactID) {
	if !d.seen[id] {
		d.seen[id] = true
		d.contacts = append(d.contacts, id)
	}
}

// Settle lets the burst window pass after user turns and fires due timers, so that the
// engine has answered everything sent so far. Without user turns since the last settle
// it does nothing.
func (d *Driver) Settle(ctx context.Context) error {
	if !d.pending {
		return nil
	}
	return d.Advance(ctx, d.eng.Flows().Settings.BurstWindow)
}

// Advance moves the clock forward by dur, firing every timer that falls due on the way at
// its own time.
func (d *Driver) Advance(ctx context.Context, dur time.Duration) error {
	d.pending = false
	target := d.clock.Now().Add(dur)
	for range maxTimerRounds {
		next, ok, err := d.nextDue(ctx, target)
		if err != nil {
			return err
		}
		if !ok {
			d.clock.Set(target)
			if _, err := d.eng.RunDue(ctx); err != nil {
				return fmt.Errorf("running due timers: %w", err)
			}
			return nil
		}
		if next.After(d.clock.Now()) {
			d.clock.Set(next)
		}
		n, err := d.eng.RunDue(ctx)
		if err != nil {
			return fmt.Errorf("running due timers: %w", err)
		}
		if n == 0 {
			// A timer is due but the engine did nothing for it; moving on avoids a spin.
			d.clock.Set(target)
			_, err := d.eng.RunDue(ctx)
			if err != nil {
				return fmt.Errorf("running due timers: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("timers kept falling due: more than %d rounds before %s", maxTimerRounds, target.Format(time.RFC3339))
}

// nextDue returns the earliest timer of the tracked contacts that is due by target.
func (d *Driver) nextDue(ctx context.Context, target time.Time) (time.Time, bool, error) {
	var next time.Time
	for _, id := range d.contacts {
		st, err := d.eng.State(ctx, id)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("loading state of %s: %w", id, err)
		}
		due := st.Session.NextDue()
		if due.IsZero() || due.After(target) {
			continue
		}
		if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next, !next.IsZero(), nil
}
