package engine

import (
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// A reply said before a slow step (an http call) must reach the customer before the call
// starts, not seconds later together with what follows it. Since nothing may be sent that
// is not stored, the run stops before the step, the engine commits and sends what it has,
// and a second run over the committed state makes the call and goes on (Engine.commitLoop).
// Should the process stop between the two, the customer has the replies, and the
// conversation sits at the http step until their next message starts afresh.

// pause is where a run stopped to send its replies before a slow step.
type pause struct {
	flow, step string
	msg        *chat.Inbound // the message being answered, for the expressions that follow
	folded     string
	steps      int // the loop guard's count goes on across the pause
}

// pauseBefore reports whether the run stops before st to send its replies first: st is an
// http step, there is something to send, and the run did not just resume at st.
func (r *run) pauseBefore(f *flows.Flow, st *flows.Step) bool {
	if st.Kind != flows.StepHTTP || len(r.outs) == 0 || r.resumed == st {
		return false
	}
	r.paused = &pause{flow: f.Name, step: st.ID, msg: r.msg, folded: r.folded, steps: r.steps - 1}
	return true
}

// resume continues a paused run, provided the committed session still stands at the step
// it paused before (the contact's lock is held between the two runs, so it does).
func (r *run) resume(p *pause) error {
	s := r.sess()
	if s.Flow != p.flow || s.Step != p.step || s.Await != nil {
		return nil
	}
	f := r.l.set.Flows[p.flow]
	if f == nil {
		r.fail(errFlowGone(p.flow))
		return nil
	}
	st, i, ok := f.Step(p.step)
	if !ok {
		r.fail(errStepGone(p.step, p.flow))
		return nil
	}
	r.msg, r.folded, r.steps, r.resumed = p.msg, p.folded, p.steps, st
	return r.runFrom(f, i)
}
