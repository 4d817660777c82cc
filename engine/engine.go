package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/flows/schedule"
)

// Options configure an Engine. Zero values get sensible defaults.
type Options struct {
	Clock clock.Clock // default: the wall clock
	HTTP  HTTPDoer    // default: NewHTTPClient(HTTPPolicy{}) (each step sets its own timeout)
	// HTTPMaxBody is the most bytes of an answer an http step reads; a longer answer
	// fails the step (default DefaultHTTPMaxBody).
	HTTPMaxBody int64
	// ExprBudget bounds each evaluation of an expression or template (time, text size,
	// items); nil: the defaults of expr.Budget.
	ExprBudget *expr.Budget
	Logger     *slog.Logger
	// OnStep, when set, is called for every step the engine runs; the conversation test
	// runner uses it for coverage. It must be safe for concurrent use.
	OnStep func(contact chat.ContactID, flow, step string)
	// OnError, when set, is told of every run-time error of a flow (see RuntimeError);
	// `wasla test` fails a test with one it did not expect and the simulator prints it.
	// It is called after the run's state is committed, in order with the run's replies.
	// It must be safe for concurrent use.
	OnError func(contact chat.ContactID, err *RuntimeError)
	// Router picks the sending number of every reply; nil: the number the contact wrote to.
	Router Router
	// CommitAttempts bounds how often a message is re-run when another writer changed the
	// contact's state first (default 5).
	CommitAttempts int
	// DueBatch is how many contacts RunDue takes from the store at a time (default 256).
	DueBatch int
	// DueWorkers is how many contacts of a batch RunDue fires at once (default 16): timer
	// replies (burst windows, ask timeouts, waits) must keep pace with the webhook's.
	DueWorkers int
	// OnTimer, when set, is told after every commit that leaves the contact with a timer,
	// when the earliest one falls due: a caller can then fire it at that moment with
	// FireDue instead of waiting for the next poll of RunDue. It must be quick and safe for
	// concurrent use.
	OnTimer func(id chat.ContactID, due time.Time)
}

// ErrStepLimit is recorded when a flow runs more steps without waiting for input than the
// settings allow: almost always a goto loop.
var ErrStepLimit = errors.New("too many steps without waiting for input")

// ErrDelivery marks a reply that the Sender failed to deliver after the state it belongs
// to was committed: the conversation moved on, and the failure is the sender's to report.
var ErrDelivery = errors.New("reply not delivered")

// loaded is a flow set with what the engine derives from it once.
type loaded struct {
	set   *flows.Set
	hours *expr.Hours // nil: no business hours configured
	tz    *time.Location
}

// Engine runs a flow set for many contacts. It is safe for concurrent use; messages of one
// contact are handled one at a time, in arrival order.
type Engine struct {
	cur   atomic.Pointer[loaded]
	store Store
	send  Sender
	opts  Options
	log   *slog.Logger
	locks *contactLocks
}

// New returns an engine running set over store, replying through send. send may be nil
// when store keeps an outbox: its commits then queue every reply (the message of each
// outbound and agent event) with the state, and the store's senders deliver them, so a
// crash after the commit loses none.
func New(set *flows.Set, store Store, send Sender, opts Options) *Engine {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.HTTP == nil {
		opts.HTTP = NewHTTPClient(HTTPPolicy{})
	}
	if opts.HTTPMaxBody <= 0 {
		opts.HTTPMaxBody = DefaultHTTPMaxBody
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CommitAttempts <= 0 {
		opts.CommitAttempts = 5
	}
	if opts.DueBatch <= 0 {
		opts.DueBatch = 256
	}
	if opts.DueWorkers <= 0 {
		opts.DueWorkers = 16
	}
	e := &Engine{store: store, send: send, opts: opts, log: opts.Logger, locks: newContactLocks()}
	e.SetFlows(set)
	return e
}

// SetFlows swaps in a new flow set; conversations in progress continue on it. A session
// whose flow or step no longer exists ends quietly at its next message.
func (e *Engine) SetFlows(set *flows.Set) {
	l := &loaded{set: set, tz: set.Settings.Timezone}
	if l.tz == nil {
		l.tz = time.UTC
	}
	if set.Settings.BusinessHours != "" {
		// The loader has validated the spec; a failure here means no hours.
		if h, err := expr.ParseHours(set.Settings.BusinessHours); err == nil {
			l.hours = h
		}
	}
	e.cur.Store(l)
}

// QueueSchedule returns the opening schedule of a queue of the running flows'
// settings.queues; nil: always open. The inbox counts its SLA targets in it.
func (e *Engine) QueueSchedule(queue string) *schedule.Schedule {
	return e.cur.Load().set.Settings.Schedule(queue)
}

// Flows returns the running flow set.
func (e *Engine) Flows() *flows.Set { return e.cur.Load().set }

// Receive handles one inbound message: it records it, and answers it now or, inside a
// burst window, when the burst's timer fires (see RunDue). It loads and commits the
// contact's state through tx, the intake's transaction over the message's contact; nil
// runs a plain transaction over the engine's Store.
func (e *Engine) Receive(ctx context.Context, tx Tx, in chat.Inbound) error {
	if in.Contact == "" {
		return errors.New("receiving message: no contact id")
	}
	if tx != nil && tx.Contact() != in.Contact {
		return errors.New("receiving message: transaction of another contact")
	}
	return e.update(ctx, e.txOr(tx, in.Contact), func(r *run) error { return r.receive(in) })
}

// txOr returns tx, or a plain transaction over the store when tx is nil.
func (e *Engine) txOr(tx Tx, id chat.ContactID) Tx {
	if tx != nil {
		return tx
	}
	return e.plainTx(id)
}

// plainTx returns a transaction over the store, for calls without an intake: timers, the
// agents' inbox, the simulator and tests.
func (e *Engine) plainTx(id chat.ContactID) Tx { return storeTx{store: e.store, id: id} }

// storeTx is the plain transaction: Load and Commit of the store.
type storeTx struct {
	store Store
	id    chat.ContactID
}

func (t storeTx) Contact() chat.ContactID { return t.id }

func (t storeTx) Load(ctx context.Context) (*State, error) { return t.store.Load(ctx, t.id) }

func (t storeTx) Commit(ctx context.Context, st *State, history []chat.Event) error {
	return t.store.Commit(ctx, st, history)
}

// RunDue fires every timer that is due by the clock: burst answers, ask timeouts, waits
// and hand-off returns. It returns how many contacts it acted for.
func (e *Engine) RunDue(ctx context.Context) (int, error) {
	n := 0
	seen := map[chat.ContactID]bool{}
	for {
		ids, err := e.store.Due(ctx, e.opts.Clock.Now(), e.opts.DueBatch)
		if err != nil {
			return n, fmt.Errorf("finding due timers: %w", err)
		}
		var fresh []chat.ContactID
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				fresh = append(fresh, id)
			}
		}
		fired, errs := e.fireAll(ctx, fresh)
		n += fired
		if err := errors.Join(errs...); err != nil {
			return n, err
		}
		if len(fresh) == 0 || len(ids) < e.opts.DueBatch {
			return n, nil
		}
	}
}

// fireAll fires the due timers of ids, distinct contacts, DueWorkers at a time, and
// returns how many fired and every error.
func (e *Engine) fireAll(ctx context.Context, ids []chat.ContactID) (int, []error) {
	var (
		mu    sync.Mutex
		fired int
		errs  []error
		wg    sync.WaitGroup
	)
	next := make(chan chat.ContactID)
	for range min(e.opts.DueWorkers, len(ids)) {
		wg.Go(func() {
			for id := range next {
				err := e.update(ctx, e.plainTx(id), func(r *run) error { return r.fireDue() })
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				if err == nil || errors.Is(err, ErrDelivery) {
					fired++ // the timer fired and its state is stored, even if a reply failed
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return fired, errs
}

// State returns the stored state of a contact (for the simulator, tests and the inbox).
func (e *Engine) State(ctx context.Context, id chat.ContactID) (*State, error) {
	return e.store.Load(ctx, id)
}

// Reset clears the contact's session (not the profile or history).
func (e *Engine) Reset(ctx context.Context, id chat.ContactID) error {
	return e.update(ctx, e.plainTx(id), func(r *run) error {
		r.st.Session = Session{}
		return nil
	})
}

// AgentReply sends a human agent's message to the contact, through the same routing,
// window and opt-out rules as the bot's replies, and records it in the contact's history
// as an agent event naming the agent. It is how an inbox answers a handed-off conversation.
// A hand-off's return_after counts from the latest agent reply, so the bot never takes a
// conversation from an agent in the middle of it.
func (e *Engine) AgentReply(ctx context.Context, id chat.ContactID, agent string, msg chat.Outbound) error {
	if msg.Kind == "" {
		msg.Kind = chat.KindText
	}
	return e.update(ctx, e.plainTx(id), func(r *run) error {
		r.routeAndQueue(msg, chat.EventAgent, agent)
		if s := r.sess(); s.Mode == ModeHuman && s.ReturnAfter > 0 {
			r.setTimer(Timer{Kind: TimerReturn, Due: r.now.Add(s.ReturnAfter)})
		}
		return nil
	})
}

// ReturnToBot ends a hand-off: the contact's next message is handled by the flows again.
func (e *Engine) ReturnToBot(ctx context.Context, id chat.ContactID) error {
	return e.update(ctx, e.plainTx(id), func(r *run) error {
		r.returnToBot("agent")
		return nil
	})
}

// ErrNoStep is returned by ReturnToBotAt for a flow or step the running flows lack.
var ErrNoStep = errors.New("no such flow or step")

// ReturnToBotAt ends a hand-off and runs the flows from step of flow (its first step when
// step is empty) at once, as a goto would: an agent hands the customer back to, say, the
// order form. The stack of called flows is dropped.
func (e *Engine) ReturnToBotAt(ctx context.Context, id chat.ContactID, flow, step string) error {
	f := e.cur.Load().set.Flows[flow]
	if f == nil {
		return fmt.Errorf("%w: flow %q", ErrNoStep, flow)
	}
	if _, _, ok := f.Step(step); step != "" && !ok {
		return fmt.Errorf("%w: step %q of flow %q", ErrNoStep, step, flow)
	}
	return e.update(ctx, e.plainTx(id), func(r *run) error {
		r.returnToBot("agent")
		r.sess().Stack = nil
		return r.jump(flows.Target{Flow: flow, Step: step})
	})
}

// Record appends events that happened outside a flow run — a send that failed, a failed
// status webhook — to the contact's history. The contact's state is committed unchanged
// with them, with the same re-runs on a conflict as a message, so the history keeps the
// contact's commit order. It does not take the contact's lock: the Sender calls it for a
// failed reply while the update that sent the reply still holds it, and the version check
// of the commit is what keeps the order.
func (e *Engine) Record(ctx context.Context, id chat.ContactID, events ...chat.Event) error {
	if id == "" {
		return errors.New("recording history: no contact id")
	}
	return e.commitLoop(ctx, e.plainTx(id), func(r *run) error {
		r.events = append(r.events, events...)
		return nil
	})
}

// SetOptedOut records an opt-out (out) or opt-in that did not come as a message, such as
// Meta's user_preferences marketing stop and resume: the contact's state changes as with
// the opt-out and opt-in words, and the history says so with detail, but nothing is
// sent, since no message of the customer's opened a conversation to answer in. A
// repeated stop or resume changes nothing.
func (e *Engine) SetOptedOut(ctx context.Context, id chat.ContactID, out bool, detail string) error {
	if id == "" {
		return errors.New("recording an opt-out: no contact id")
	}
	return e.update(ctx, e.plainTx(id), func(r *run) error {
		switch {
		case out && !r.st.Contact.OptedOut:
			r.optOut(detail)
		case !out && r.st.Contact.OptedOut:
			r.optIn(detail)
		}
		return nil
	})
}

// update runs fn over the contact's state under the contact's lock and commits the result
// through tx, re-running fn from a fresh load when another writer committed first. Replies
// are sent only after the commit succeeded, so a re-run never sends twice.
func (e *Engine) update(ctx context.Context, tx Tx, fn func(*run) error) error {
	unlock := e.locks.lock(tx.Contact())
	defer unlock()
	return e.commitLoop(ctx, tx, fn)
}

// commitLoop is update without the contact's lock.
func (e *Engine) commitLoop(ctx context.Context, tx Tx, fn func(*run) error) error {
	id := tx.Contact()
	for attempt := 1; ; attempt++ {
		st, err := tx.Load(ctx)
		if err != nil {
			return fmt.Errorf("loading contact state: %w", err)
		}
		r := e.newRun(ctx, st)
		if err := fn(r); err != nil {
			if errors.Is(err, errNothingDue) {
				return nil // a timer run found nothing to do: nothing to commit
			}
			return err
		}
		err = tx.Commit(ctx, st, r.events)
		if errors.Is(err, ErrConflict) && attempt < e.opts.CommitAttempts {
			continue
		}
		if errors.Is(err, ErrDuplicate) {
			e.log.Debug("duplicate delivery dropped", slog.String("contact", id.Redacted()))
			return nil
		}
		if err != nil {
			return fmt.Errorf("committing contact state: %w", err)
		}
		e.noteTimer(id, st)
		sent := e.sendCommitted(ctx, id, r.outs, r.failures)
		if r.paused == nil {
			return sent
		}
		p := r.paused
		more := e.commitLoop(ctx, tx, func(r *run) error { return r.resume(p) })
		return errors.Join(sent, more)
	}
}

// sendCommitted hands the replies of a committed run to the Sender, and its run-time
// errors to Options.OnError in their place among the replies. A failure to send no
// longer changes the conversation: it is returned wrapped in ErrDelivery for the caller
// to report.
func (e *Engine) sendCommitted(ctx context.Context, id chat.ContactID, outs []chat.Outbound, failures []failure) error {
	var errs []error
	for i := 0; i <= len(outs); i++ {
		for len(failures) > 0 && failures[0].before == i {
			if e.opts.OnError != nil {
				e.opts.OnError(id, failures[0].err)
			}
			failures = failures[1:]
		}
		if i == len(outs) {
			break
		}
		if e.send == nil {
			continue // the store's outbox sends what the commit queued
		}
		m := outs[i]
		if err := e.send.Send(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("%w: sending %s message: %w", ErrDelivery, m.Kind, err))
		}
	}
	return errors.Join(errs...)
}
