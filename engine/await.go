package engine

import (
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// await makes the session wait at a step for input, keeping the retry count when it
// waits at the same step again, with a timeout timer when the step has one.
func (r *run) await(kind AwaitKind, f *flows.Flow, st *flows.Step, timeout time.Duration) {
	s := r.sess()
	retries := 0
	if s.Await != nil && s.Await.Flow == f.Name && s.Await.Step == st.ID {
		retries = s.Await.Retries
	}
	s.Await = &Await{Kind: kind, Flow: f.Name, Step: st.ID, Retries: retries}
	r.clearTimers(TimerTimeout)
	if timeout > 0 {
		r.setTimer(Timer{Kind: TimerTimeout, Due: r.now.Add(timeout), Flow: f.Name, Step: st.ID})
	}
}

// answer handles a message while the session waits for input.
func (r *run) answer(in chat.Inbound) error {
	s := r.sess()
	a := s.Await
	f := r.l.set.Flows[a.Flow]
	var st *flows.Step
	if f != nil {
		st, _, _ = f.Step(a.Step)
	}
	if st == nil || (st.Kind != flows.StepAsk && st.Kind != flows.StepButtons && st.Kind != flows.StepList) {
		// The flows changed under a waiting session: start afresh with this message.
		r.endSession()
		return r.handle(in)
	}
	if st.Kind == flows.StepAsk {
		return r.answerAsk(f, st, in)
	}
	return r.answerChoice(f, st, in)
}

// retry answers an invalid answer: the retry text and another wait, or, when the retries
// are used up, the failure branch.
func (r *run) retry(f *flows.Flow, st *flows.Step, max int, onFail flows.Target, retry, prompt *flows.Template, timeout time.Duration) error {
	s := r.sess()
	s.Await.Retries++
	if s.Await.Retries > max {
		s.Await = nil
		r.clearTimers(TimerTimeout)
		if !onFail.IsZero() {
			return r.jump(onFail)
		}
		return r.continueAfter(f.Name, st.ID)
	}
	t := retry
	if t == nil {
		t = prompt
	}
	switch {
	case t != nil:
		text, err := r.render(t)
		if err != nil {
			r.fail(err)
			return nil
		}
		r.say(text)
	case st.Kind == flows.StepButtons:
		if err := r.sendButtons(st.Buttons); err != nil {
			r.fail(err)
			return nil
		}
	case st.Kind == flows.StepList:
		if err := r.sendList(st.List); err != nil {
			r.fail(err)
			return nil
		}
	}
	r.await(s.Await.Kind, f, st, timeout)
	return nil
}

// timeout handles an ask or choice that went unanswered: its timeout branch, or the end of
// the conversation.
func (r *run) timeout() error {
	s := r.sess()
	a := s.Await
	s.Await = nil
	var target flows.Target
	if f := r.l.set.Flows[a.Flow]; f != nil {
		if st, _, ok := f.Step(a.Step); ok {
			switch st.Kind {
			case flows.StepAsk:
				target = st.Ask.OnTimeout
			case flows.StepButtons:
				target = st.Buttons.OnTimeout
			case flows.StepList:
				target = st.List.OnTimeout
			}
		}
	}
	if target.IsZero() {
		r.endSession()
		return nil
	}
	return r.jump(target)
}
