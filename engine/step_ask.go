package engine

import (
	"log/slog"
	"strings"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/normalize"
)

// stepAsk sends the question and waits for the answer (see answerAsk).
func (r *run) stepAsk(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	prompt, err := r.render(st.Ask.Prompt)
	if err != nil {
		return 0, flows.Target{}, err
	}
	r.say(prompt)
	r.await(AwaitAnswer, f, st, st.Ask.Timeout)
	return actWait, flows.Target{}, nil
}

// answerAsk takes a message as the answer to an ask step: validated, turned into its
// value and saved, or asked again.
func (r *run) answerAsk(f *flows.Flow, st *flows.Step, in chat.Inbound) error {
	ask := st.Ask
	s := r.sess()
	answer := strings.TrimSpace(normalize.Digits(in.Text))
	valid := true
	switch {
	case in.Kind.IsMedia():
		if ask.Media && in.Media != nil {
			answer = in.Media.ID
		} else {
			valid = false
		}
	case ask.Media, answer == "":
		// A text question wants text: a location without a name, or any other reply
		// without text, is no answer to it.
		valid = false
	}
	if valid && ask.Validate != nil {
		env := r.env()
		env.Answer = answer
		ok, err := ask.Validate.EvalBool(env)
		if err != nil {
			r.e.log.Debug("validate failed", slog.Any("error", err))
		}
		valid = ok && err == nil
	}
	var value any = answer
	if valid && ask.Value != nil {
		// An answer that cannot be turned into the value ("five" for int(answer)) is
		// a wrong answer, as one that fails validate is: the customer is asked again.
		env := r.env()
		env.Answer = answer
		v, err := ask.Value.Eval(env)
		if err != nil {
			r.e.log.Debug("value failed", slog.Any("error", err))
		}
		value, valid = v, err == nil
	}
	if valid {
		s.Vars[ask.Save] = value
		delete(s.Vars, ask.Save+"_error")
		s.Await = nil
		r.clearTimers(TimerTimeout)
		return r.continueAfter(f.Name, st.ID)
	}
	return r.retry(f, st, ask.MaxRetries, ask.OnFail, ask.Retry, ask.Prompt, ask.Timeout)
}
