package engine

import (
	"slices"
	"time"
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
