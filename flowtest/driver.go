package flowtest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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

// AgentSide is the agent's side of a hand-off, as the inbox drives it; a Conversation
// that has it lets a Driver play the agent. *engine.Engine has it.
type AgentSide interface {
	AgentReply(ctx context.Context, id chat.ContactID, agent string, msg chat.Outbound) error
	ReturnToBot(ctx context.Context, id chat.ContactID) error
	ReturnToBotAt(ctx context.Context, id chat.ContactID, flow, step string) error
}

var _ AgentSide = (*engine.Engine)(nil)

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

// ErrNotHandedOff is returned by AgentReply and Release for a conversation the bot has:
// an agent answers only conversations handed to a queue.
var ErrNotHandedOff = errors.New("the conversation is with the bot, not handed off to a queue")

// AgentReply plays an agent answering the handed-off conversation of contact id with a
// text: the engine sends it through the same routing, window and opt-out rules as the
// inbox's replies, and it restarts the hand-off's return timer.
func (d *Driver) AgentReply(ctx context.Context, id chat.ContactID, agent, text string) error {
	if err := d.handedOff(ctx, id); err != nil {
		return err
	}
	d.pending = true
	return d.agents().AgentReply(ctx, id, agent, chat.Outbound{Kind: chat.KindText, Text: text})
}

// Release plays an agent giving the conversation back to the bot: at target ("flow",
// "flow.step" or a step id found in exactly one flow), which runs at once, or, with
// target empty, for the contact's next message.
func (d *Driver) Release(ctx context.Context, id chat.ContactID, target string) error {
	if err := d.handedOff(ctx, id); err != nil {
		return err
	}
	d.pending = true
	if target == "" {
		return d.agents().ReturnToBot(ctx, id)
	}
	flow, step, err := ResolveTarget(d.eng.Flows(), target)
	if err != nil {
		return err
	}
	return d.agents().ReturnToBotAt(ctx, id, flow, step)
}

func (d *Driver) handedOff(ctx context.Context, id chat.ContactID) error {
	if _, ok := d.eng.(AgentSide); !ok {
		return errors.New("this engine has no agent side")
	}
	d.Track(id)
	st, err := d.eng.State(ctx, id)
	if err != nil {
		return fmt.Errorf("loading state of %s: %w", id, err)
	}
	if st.Session.Mode != contact.ModeHuman {
		return ErrNotHandedOff
	}
	return nil
}

// ResolveTarget reads where an agent releases a conversation to: "flow" (its first step),
// "flow.step", or a step id that exactly one flow has. A name that matches nothing gets
// the closest flow or step as a suggestion.
func ResolveTarget(set *flows.Set, target string) (flow, step string, err error) {
	if f, s, dotted := strings.Cut(target, "."); dotted {
		fl := set.Flows[f]
		if fl == nil {
			return "", "", fmt.Errorf("no flow %q%s", f, didYouMean(f, slices.Sorted(maps.Keys(set.Flows))))
		}
		if _, _, ok := fl.Step(s); !ok {
			var ids []string
			for _, st := range fl.Steps {
				ids = append(ids, st.ID)
			}
			return "", "", fmt.Errorf("flow %q has no step %q%s", f, s, didYouMean(s, ids))
		}
		return f, s, nil
	}
	if set.Flows[target] != nil {
		return target, "", nil
	}
	var owners, names []string
	for _, name := range slices.Sorted(maps.Keys(set.Flows)) {
		names = append(names, name)
		for _, st := range set.Flows[name].Steps {
			names = append(names, st.ID)
			if st.ID == target {
				owners = append(owners, name)
			}
		}
	}
	switch len(owners) {
	case 1:
		return owners[0], target, nil
	case 0:
		return "", "", fmt.Errorf("no flow or step %q%s", target, didYouMean(target, names))
	}
	return "", "", fmt.Errorf("step %q is in several flows (%s); write flow.step", target, strings.Join(owners, ", "))
}

func (d *Driver) agents() AgentSide { return d.eng.(AgentSide) }
