package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/wasla/wasla/flows"
)

// stepWait pauses the flow for a duration or until a moment; the wait timer resumes it
// (see fireDue). A moment already past continues at once.
func (r *run) stepWait(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	due := r.now.Add(st.Wait)
	if st.WaitTill != nil {
		v, err := st.WaitTill.Eval(r.env())
		if err != nil {
			return 0, flows.Target{}, err
		}
		t, ok := v.(time.Time)
		if !ok {
			return 0, flows.Target{}, fmt.Errorf("wait until: %q gave %s, want a time", st.WaitTill.Source, describe(v))
		}
		if !t.After(r.now) {
			return actNext, flows.Target{}, nil // the moment has passed: continue at once
		}
		due = t
	}
	s := r.sess()
	r.setTimer(Timer{Kind: TimerWait, Due: due, Flow: f.Name, Step: st.ID, Stack: slices.Clone(s.Stack)})
	return actWait, flows.Target{}, nil
}
