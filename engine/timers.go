package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/wasla/wasla/chat"
)

// setTimer sets a timer, replacing the one of the same kind (for waits: of the same flow,
// so waits of different flows can be pending together).
func (r *run) setTimer(t Timer) {
	s := r.sess()
	s.Timers = slices.DeleteFunc(s.Timers, func(x Timer) bool { return sameTimer(x, t) })
	s.Timers = append(s.Timers, t)
}

func sameTimer(a, b Timer) bool {
	return a.Kind == b.Kind && (a.Kind != TimerWait || a.Flow == b.Flow)
}

func (r *run) clearTimers(kinds ...TimerKind) {
	s := r.sess()
	s.Timers = slices.DeleteFunc(s.Timers, func(x Timer) bool { return slices.Contains(kinds, x.Kind) })
	if len(s.Timers) == 0 {
		s.Timers = nil
	}
}

// waitRetry is how long a wait that fell due while the contact was busy is put off.
const waitRetry = 10 * time.Minute

// fireDue acts on every timer of this contact that is due.
func (r *run) fireDue() error {
	s := r.sess()
	var due []Timer
	for _, t := range s.Timers {
		if !t.Due.After(r.now) {
			due = append(due, t)
		}
	}
	slices.SortStableFunc(due, func(a, b Timer) int { return a.Due.Compare(b.Due) })
	for _, t := range due {
		s.Timers = slices.DeleteFunc(s.Timers, func(x Timer) bool { return sameTimer(x, t) })
		switch t.Kind {
		case TimerBurst:
			r.flushBurst()
		case TimerReturn:
			r.msg, r.steps = nil, 0
			if err := r.comeBack("no agent reply", false); err != nil {
				return err
			}
		case TimerTimeout:
			if s.Await == nil || s.Await.Flow != t.Flow || s.Await.Step != t.Step {
				continue
			}
			r.msg, r.steps = nil, 0
			if err := r.timeout(); err != nil {
				return err
			}
		case TimerWait:
			if s.Await != nil || s.Mode == ModeHuman {
				// The contact is in the middle of something (answering a question,
				// talking to an agent): the flow resumes a little later.
				t.Due = r.now.Add(waitRetry)
				r.setTimer(t)
				continue
			}
			r.msg, r.steps = nil, 0
			s.Stack = slices.Clone(t.Stack)
			if err := r.continueAfter(t.Flow, t.Step); err != nil {
				return err
			}
		}
	}
	return nil
}

// errNothingDue ends a timer run that found no due timer: the update then commits nothing
// (a contact fired twice, or whose timer moved since it was noted, costs one load).
var errNothingDue = errors.New("no timer due")

// FireDue fires the due timers of one contact, as RunDue does for each contact it finds,
// and says whether one was due: it is how a caller that was told of a timer by
// Options.OnTimer fires it at its time. A contact without a due timer (already fired, or
// moved later by a newer message) costs one load and no commit. A reply that could not be
// delivered is returned wrapped in ErrDelivery, the timer counted as fired.
func (e *Engine) FireDue(ctx context.Context, id chat.ContactID) (bool, error) {
	fired := false
	err := e.update(ctx, e.plainTx(id), func(r *run) error {
		fired = hasDue(r.sess().Timers, r.now)
		if !fired {
			return errNothingDue
		}
		return r.fireDue()
	})
	return fired, err
}

func hasDue(timers []Timer, now time.Time) bool {
	for _, t := range timers {
		if !t.Due.After(now) {
			return true
		}
	}
	return false
}

// noteTimer tells Options.OnTimer when the committed session's earliest timer is due.
func (e *Engine) noteTimer(id chat.ContactID, st *State) {
	if e.opts.OnTimer == nil {
		return
	}
	if due := st.Session.NextDue(); !due.IsZero() {
		e.opts.OnTimer(id, due)
	}
}
