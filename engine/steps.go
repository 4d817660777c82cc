package engine

import (
	"fmt"
	"log/slog"

	"github.com/wasla/wasla/flows"
)

// action is what the step runner does after a step.
type action int

const (
	actNext action = iota // the step's continuation
	actJump               // the returned target
	actWait               // stop: the session waits for input or a timer
	actStop               // stop: the conversation ended or failed
)

// exec runs one step by its kind; each kind's code lives in its own step_<kind>.go. An
// error is a run-time fault of the flow (an expression that failed on this data, say); it
// ends the conversation and is recorded.
func (r *run) exec(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	switch st.Kind {
	case flows.StepSay:
		return r.stepSay(st)
	case flows.StepAsk:
		return r.stepAsk(f, st)
	case flows.StepButtons:
		return r.stepButtons(f, st)
	case flows.StepList:
		return r.stepList(f, st)
	case flows.StepTemplate:
		return r.stepTemplate(st)
	case flows.StepMedia:
		return r.stepMedia(st)
	case flows.StepSet:
		return r.stepSet(st)
	case flows.StepIf:
		return r.stepIf(st)
	case flows.StepSwitch:
		return r.stepSwitch(st)
	case flows.StepGoto:
		return r.stepGoto(st)
	case flows.StepCall:
		return r.stepCall(f, st)
	case flows.StepWait:
		return r.stepWait(f, st)
	case flows.StepHandoff:
		return r.stepHandoff(f, st)
	case flows.StepTag:
		return r.stepTag(st)
	case flows.StepHTTP:
		return r.stepHTTP(st)
	case flows.StepEnd:
		return r.stepEnd(st)
	}
	return 0, flows.Target{}, fmt.Errorf("unknown step kind %q", st.Kind)
}

// jump continues the conversation at a target.
func (r *run) jump(t flows.Target) error {
	f := r.l.set.Flows[t.Flow]
	if f == nil {
		r.fail(errFlowGone(t.Flow))
		return nil
	}
	i := 0
	if t.Step != "" {
		var ok bool
		if _, i, ok = f.Step(t.Step); !ok {
			r.fail(errStepGone(t.Step, t.Flow))
			return nil
		}
	}
	return r.runFrom(f, i)
}

// continueAfter runs whatever follows a step that finished waiting.
func (r *run) continueAfter(flow, step string) error {
	f := r.l.set.Flows[flow]
	if f == nil {
		r.fail(errFlowGone(flow))
		return nil
	}
	st, i, ok := f.Step(step)
	if !ok {
		r.fail(errStepGone(step, flow))
		return nil
	}
	if !st.Next.IsZero() {
		return r.jump(st.Next)
	}
	return r.runFrom(f, i+1)
}

// runFrom runs steps from f.Steps[i] until one waits, the conversation ends, or the step
// limit stops a loop.
func (r *run) runFrom(f *flows.Flow, i int) error {
	s := r.sess()
	limit := r.l.set.Settings.MaxSteps
	if limit <= 0 {
		limit = flows.DefaultMaxSteps
	}
	for {
		if i >= len(f.Steps) {
			if len(s.Stack) == 0 {
				r.endSession()
				return nil
			}
			top := s.Stack[len(s.Stack)-1]
			s.Stack = s.Stack[:len(s.Stack)-1]
			caller := r.l.set.Flows[top.Flow]
			if caller == nil {
				r.fail(errFlowGone(top.Flow))
				return nil
			}
			st, j, ok := caller.Step(top.Step)
			if !ok {
				r.fail(fmt.Errorf("step %q of flow %q does not exist", top.Step, top.Flow))
				return nil
			}
			f = caller
			s.Flow, s.Step = f.Name, st.ID
			if !st.Next.IsZero() {
				return r.jump(st.Next)
			}
			i = j + 1
			continue
		}
		step := f.Steps[i]
		s.Flow, s.Step = f.Name, step.ID
		r.steps++
		if r.steps > limit {
			r.fail(fmt.Errorf("%w: stopped after %d steps; add an ask, buttons or wait to the loop", ErrStepLimit, limit))
			return nil
		}
		if r.pauseBefore(f, step) {
			return nil
		}
		if r.e.opts.OnStep != nil {
			r.e.opts.OnStep(r.st.Contact.ID, f.Name, step.ID)
		}
		r.e.log.Debug("step", slog.String("flow", f.Name), slog.String("step", step.ID), slog.String("kind", string(step.Kind)))
		act, target, err := r.exec(f, step)
		if err != nil {
			r.fail(err)
			return nil
		}
		switch act {
		case actWait, actStop:
			return nil
		case actJump:
			if target.IsZero() {
				break
			}
			return r.jump(target)
		}
		if !step.Next.IsZero() {
			return r.jump(step.Next)
		}
		i++
	}
}

func (r *run) startFlow(name string) {
	s := r.sess()
	s.Flow, s.Step, s.Await, s.Stack = name, "", nil, nil
	s.Started = r.now
	r.clearTimers(TimerTimeout)
	if s.Vars == nil {
		s.Vars = map[string]any{}
	}
}

// endSession stops whatever flow runs; variables stay for the next flow. Pending waits
// stay too: a reminder set by a wait step fires even when the contact chatted meanwhile.
func (r *run) endSession() {
	s := r.sess()
	s.Flow, s.Step, s.Await, s.Stack = "", "", nil, nil
	r.clearTimers(TimerTimeout)
}

func errFlowGone(flow string) error {
	return fmt.Errorf("flow %q does not exist (the flows were reloaded?)", flow)
}

func errStepGone(step, flow string) error {
	return fmt.Errorf("step %q of flow %q does not exist (the flows were reloaded?)", step, flow)
}
