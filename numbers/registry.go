package numbers

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// StateStore keeps each number's State as JSON, shared by every replica. Implementations
// must be safe for concurrent use. RedisStates is the one over Redis.
type StateStore interface {
	// Get returns the number's stored state, or nil and no error when none is stored.
	Get(ctx context.Context, id chat.NumberID) ([]byte, error)
	// Set stores the number's state.
	Set(ctx context.Context, id chat.NumberID, state []byte) error
}

// DefaultRestrictFor is how long a number stays restricted after a send error said so
// (see MarkRestricted).
const DefaultRestrictFor = time.Hour

// Option configures a Registry.
type Option func(*Registry)

// WithClock sets the clock; the default is the wall clock.
func WithClock(c clock.Clock) Option { return func(r *Registry) { r.clock = c } }

// WithRestrictFor sets how long MarkRestricted keeps a number out of use; the default is
// DefaultRestrictFor.
func WithRestrictFor(d time.Duration) Option { return func(r *Registry) { r.restrictFor = d } }

// Registry is the list of business numbers with their live state. The list never changes;
// the state changes through Apply, MarkRestricted, MarkActive and Refresh, each of which
// writes through the StateStore and then swaps an in-memory snapshot. Reads (Lookup,
// State, Usable) see the snapshot without I/O, so the router can call them inside a
// contact's update. A Registry is safe for concurrent use.
type Registry struct {
	list        []Number
	byID        map[chat.NumberID]int
	byDisplay   map[string]int
	inbox       int
	store       StateStore
	clock       clock.Clock
	restrictFor time.Duration

	mu   sync.Mutex // serialises writers: read, merge, write, swap
	snap atomic.Pointer[map[chat.NumberID]State]
}

// New validates list and returns its registry over store. It reports every problem at
// once as a *ConfigError: exactly one inbox, unique non-empty ids and display numbers,
// known roles and policies, a token for each number, no negative throughput, and campaign
// and policy only on campaign numbers. New does no I/O: every number starts active with
// an unknown quality until Refresh loads what the replicas stored.
func New(list []Number, store StateStore, opts ...Option) (*Registry, error) {
	r := &Registry{
		list:        slices.Clone(list),
		byID:        map[chat.NumberID]int{},
		byDisplay:   map[string]int{},
		inbox:       -1,
		store:       store,
		clock:       clock.Real{},
		restrictFor: DefaultRestrictFor,
	}
	for _, o := range opts {
		o(r)
	}
	if store == nil {
		return nil, fmt.Errorf("numbers: no state store")
	}
	var probs []Problem
	add := func(i int, field, format string, args ...any) {
		probs = append(probs, Problem{Index: i, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	for i := range r.list {
		n := &r.list[i]
		if n.Throughput == 0 {
			n.Throughput = DefaultThroughput
		}
		switch {
		case n.ID == "":
			add(i, "id", "missing phone number id")
		default:
			if j, dup := r.byID[n.ID]; dup {
				add(i, "id", "phone number id %s is already numbers[%d]", n.ID, j)
			} else {
				r.byID[n.ID] = i
			}
		}
		if d := n.Digits(); d == "" {
			add(i, "display", "missing display number (the number users see, such as +966 55 123 4567)")
		} else if j, dup := r.byDisplay[d]; dup {
			add(i, "display", "display number %s is already numbers[%d]", n.Display, j)
		} else {
			r.byDisplay[d] = i
		}
		switch n.Role {
		case RoleInbox:
			if r.inbox >= 0 {
				add(i, "role", "a second inbox number; numbers[%d] is the inbox, and there must be exactly one", r.inbox)
			} else {
				r.inbox = i
			}
			if n.Campaign != "" {
				add(i, "campaign", "the inbox number sends no campaign; campaign belongs on campaign numbers")
			}
			if n.Policy != "" {
				add(i, "policy", "a routing policy applies to campaign numbers, not to the inbox")
			}
		case RoleCampaign:
		case "":
			add(i, "role", "missing role: want inbox or campaign")
		default:
			add(i, "role", "unknown role %q: want inbox or campaign", n.Role)
		}
		if n.Policy != "" && !n.Policy.Valid() {
			add(i, "policy", "unknown policy %q: want link, bridge or hold", n.Policy)
		}
		if n.Token == "" {
			add(i, "token", "missing access token")
		}
		if n.Throughput < 0 {
			add(i, "throughput", "throughput %d is negative", n.Throughput)
		}
	}
	if r.inbox < 0 {
		add(-1, "role", "no inbox number: exactly one number must have role inbox")
	}
	if len(probs) > 0 {
		return nil, &ConfigError{Problems: probs}
	}
	snap := make(map[chat.NumberID]State, len(r.list))
	for _, n := range r.list {
		snap[n.ID] = fresh()
	}
	r.snap.Store(&snap)
	return r, nil
}

// Warnings reports risky but valid set-ups: an inbox number sharing its WhatsApp Business
// Account or portfolio with campaign numbers (Meta restricts and bans whole accounts, and
// a punished campaign would take the inbox down with it), and numbers without an account
// id, whose account_update webhooks cannot be matched.
func (r *Registry) Warnings() []Problem {
	var out []Problem
	in := r.list[r.inbox]
	for i, n := range r.list {
		if n.WABA == "" {
			out = append(out, Problem{i, "waba", "no WhatsApp Business Account id: account_update webhooks (restrictions, bans) cannot reach this number"})
		}
		if i == r.inbox || n.Role != RoleCampaign {
			continue
		}
		if in.WABA != "" && n.WABA == in.WABA {
			out = append(out, Problem{i, "waba", fmt.Sprintf("campaign number %s shares WhatsApp Business Account %s with the inbox number: a restriction for its campaigns would stop the inbox too; give the inbox its own account", n.ID, n.WABA)})
		}
		if in.Portfolio != "" && n.Portfolio == in.Portfolio {
			out = append(out, Problem{i, "portfolio", fmt.Sprintf("campaign number %s shares portfolio %s with the inbox number: they share one messaging limit, and campaigns can use up the inbox's", n.ID, n.Portfolio)})
		}
	}
	return out
}

// Inbox returns the inbox number.
func (r *Registry) Inbox() Number { return r.list[r.inbox] }

// Numbers returns every number in list order.
func (r *Registry) Numbers() []Number { return slices.Clone(r.list) }

// Lookup returns the number with phone number id id.
func (r *Registry) Lookup(id chat.NumberID) (Number, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Number{}, false
	}
	return r.list[i], true
}

// ByDisplay returns the number whose display number has the digits of display, the way
// phone_number_quality_update webhooks name numbers.
func (r *Registry) ByDisplay(display string) (Number, bool) {
	i, ok := r.byDisplay[Digits(display)]
	if !ok {
		return Number{}, false
	}
	return r.list[i], true
}

// State returns the number's live state from the snapshot; an unknown id gets the state
// of a fresh number.
func (r *Registry) State(id chat.NumberID) State {
	if st, ok := (*r.snap.Load())[id]; ok {
		return st
	}
	return fresh()
}

// States returns a copy of every number's live state, for metrics.
func (r *Registry) States() map[chat.NumberID]State { return maps.Clone(*r.snap.Load()) }

// Usable reports whether the number is known and may send at now.
func (r *Registry) Usable(id chat.NumberID, now time.Time) bool {
	st, ok := (*r.snap.Load())[id]
	return ok && st.Usable(now)
}

// CanInitiate reports whether the number is known and may start conversations at now
// (templates outside the window, campaigns): it is active or flagged.
func (r *Registry) CanInitiate(id chat.NumberID, now time.Time) bool {
	st, ok := (*r.snap.Load())[id]
	return ok && st.CanInitiate(now)
}

// Throughput returns the messages per second the number may send: what Meta announced,
// else what was configured.
func (r *Registry) Throughput(id chat.NumberID) int {
	if st := r.State(id); st.Throughput > 0 {
		return st.Throughput
	}
	if n, ok := r.Lookup(id); ok {
		return n.Throughput
	}
	return DefaultThroughput
}

// MarkRestricted records that a send from the number failed because the number or its
// account is restricted (errors 131048, 368, 131031, 130497). The number stays out of use
// for the registry's restrict-for duration (an hour by default), after which one send
// tries it again: send errors do not say when a restriction lifts, and account_update
// webhooks, which do, may be late or missing. A longer restriction or a ban already
// recorded is kept; a replies-only restriction that outlasts it resumes after it.
func (r *Registry) MarkRestricted(ctx context.Context, id chat.NumberID, reason string) error {
	now := r.clock.Now()
	_, err := r.update(ctx, []chat.NumberID{id}, func(_ Number, st *State) bool {
		cur := st.Current(now)
		if cur == StatusBanned {
			return false
		}
		until := now.Add(r.restrictFor)
		if cur == StatusRestricted && (st.LiftsAt(now).IsZero() || st.LiftsAt(now).After(until)) {
			return false
		}
		next, nextUntil := Status(""), time.Time{}
		if cur == StatusRepliesOnly {
			if lifts := st.LiftsAt(now); lifts.IsZero() || lifts.After(until) {
				next, nextUntil = StatusRepliesOnly, lifts
			}
		}
		st.Status, st.Reason, st.Since, st.Until = StatusRestricted, reason, now, until
		st.Next, st.NextUntil = next, nextUntil
		return true
	})
	return err
}

// MarkActive puts the number back into use, for an operator who knows a restriction or ban
// is over.
func (r *Registry) MarkActive(ctx context.Context, id chat.NumberID, reason string) error {
	now := r.clock.Now()
	_, err := r.update(ctx, []chat.NumberID{id}, func(_ Number, st *State) bool {
		st.Status, st.Reason, st.Since, st.Until = StatusActive, reason, now, time.Time{}
		st.Next, st.NextUntil = "", time.Time{}
		return true
	})
	return err
}

// Refresh reloads every number's state from the store, so that a replica sees what the
// others applied. On error the snapshot is left as it was.
func (r *Registry) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	snap := make(map[chat.NumberID]State, len(r.list))
	for _, n := range r.list {
		st, err := r.load(ctx, n.ID)
		if err != nil {
			return err
		}
		snap[n.ID] = st
	}
	r.snap.Store(&snap)
	return nil
}

func (r *Registry) load(ctx context.Context, id chat.NumberID) (State, error) {
	data, err := r.store.Get(ctx, id)
	if err != nil {
		return State{}, fmt.Errorf("loading state of number %s: %w", id, err)
	}
	st := fresh()
	if data == nil {
		return st, nil
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("decoding state of number %s: %w", id, err)
	}
	return st, nil
}

// update reads each number's stored state (the freshest, whatever replica wrote it),
// lets change edit it, stores and publishes those change reports as changed, and returns
// their ids. Stored state is read again rather than taken from the snapshot so that a
// replica never writes back a stale view over another's update.
func (r *Registry) update(ctx context.Context, ids []chat.NumberID, change func(Number, *State) bool) ([]chat.NumberID, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var changed []chat.NumberID
	for _, id := range ids {
		n, ok := r.Lookup(id)
		if !ok {
			return changed, fmt.Errorf("%w: %s", ErrUnknownNumber, id)
		}
		st, err := r.load(ctx, id)
		if err != nil {
			return changed, err
		}
		if !change(n, &st) {
			r.publish(id, st) // still adopt what the store holds
			continue
		}
		data, err := json.Marshal(st)
		if err != nil {
			return changed, fmt.Errorf("encoding state of number %s: %w", id, err)
		}
		if err := r.store.Set(ctx, id, data); err != nil {
			return changed, fmt.Errorf("storing state of number %s: %w", id, err)
		}
		r.publish(id, st)
		changed = append(changed, id)
	}
	return changed, nil
}

// publish swaps in a snapshot with id's state replaced. Callers hold r.mu.
func (r *Registry) publish(id chat.NumberID, st State) {
	snap := maps.Clone(*r.snap.Load())
	snap[id] = st
	r.snap.Store(&snap)
}
