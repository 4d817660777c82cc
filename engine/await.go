package engine

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/yamlfile"
)

// await makes the session wait at a step for input, keeping the retry count when it
// waits at the same step again, with a timeout timer when the step has one.
func (r *run) await(kind AwaitKind, f *flows.Flow, st *flows.Step, timeout time.Duration) {
	s := r.sess()
	retries := 0
	if s.Await != nil && s.Await.Flow == f.Name && s.Await.Step == st.ID {
		retries = s.Await.Retries
	}
	s.Await = &Await{Kind: kind, Flow: f.Name, Step: st.ID, Retries: retries, Fingerprint: st.Fingerprint}
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
	i := -1
	if f != nil {
		st, i, _ = f.Step(a.Step)
	}
	if st == nil || !waits(st) || (a.Fingerprint != "" && a.Fingerprint != st.Fingerprint) {
		return r.questionChanged(in, f, st, i)
	}
	if st.Kind == flows.StepAsk {
		return r.answerAsk(f, st, in)
	}
	return r.answerChoice(f, st, in)
}

// waits reports whether a step waits for an answer.
func waits(st *flows.Step) bool {
	switch st.Kind {
	case flows.StepAsk:
		return true
	case flows.StepButtons:
		return st.Buttons.Await
	case flows.StepList:
		return st.List.Await
	}
	return false
}

// questionChanged handles an answer to a question that a reload changed or removed: the
// answer is never filed under another question. The customer is told, then asked the
// changed question again; a removed question restarts its flow from the first step; a
// removed flow lets the message start whatever it triggers (docs/flows.md, "Editing
// flows while customers answer them").
func (r *run) questionChanged(in chat.Inbound, f *flows.Flow, st *flows.Step, i int) error {
	s := r.sess()
	a := s.Await
	detail := "the question was removed"
	if st != nil {
		detail = "the question changed"
	}
	r.e.log.Info("answer to a question a reload changed", slog.String("flow", a.Flow), slog.String("step", a.Step), slog.String("why", detail))
	r.record(chat.Event{Kind: chat.EventQuestionChanged, Flow: a.Flow, Step: a.Step, Detail: detail})
	s.Await = nil
	r.clearTimers(TimerTimeout)
	r.say(r.l.set.Settings.QuestionChanged)
	switch {
	case st != nil && waits(st):
		s.Flow, s.Step = f.Name, st.ID
		return r.runFrom(f, i)
	case f != nil && len(f.Steps) > 0:
		s.Flow, s.Step = f.Name, ""
		return r.runFrom(f, 0)
	}
	r.endSession()
	if r.matchTrigger(in, r.folded) == nil {
		return nil // nothing to start: the apology is the answer
	}
	return r.handle(in)
}

// retry answers an invalid answer: the retry text and another wait, or, when the retries
// are used up, the failure branch.
func (r *run) retry(f *flows.Flow, st *flows.Step, max int, onFail flows.Target, retry, prompt *expr.Template, timeout time.Duration) error {
	s := r.sess()
	s.Await.Retries++
	if s.Await.Retries > max {
		s.Await = nil
		if st.Kind == flows.StepAsk {
			r.askFailed(st.Ask, fmt.Sprintf("no valid answer after %d tries", max+1))
		}
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
				r.askFailed(st.Ask, "no answer within "+yamlfile.FormatDuration(st.Ask.Timeout))
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

// askFailed leaves what a failed http step leaves: vars["<save>"] removed, so that no
// earlier answer passes for this one's, and vars["<save>_error"] saying why.
func (r *run) askFailed(ask *flows.Ask, why string) {
	s := r.sess()
	delete(s.Vars, ask.Save)
	s.Vars[ask.Save+"_error"] = why
}
