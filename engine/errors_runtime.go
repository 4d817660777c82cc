package engine

import (
	"fmt"
	"log/slog"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// RuntimeError is a step that failed while a conversation ran: an expression that could
// not be computed on this data, a loop stopped by max_steps, an http call that failed
// with no on_error, a text that cannot be sent. The customer gets settings.error_reply;
// the history gets an error event and the log an Error record naming Pos.
type RuntimeError struct {
	Flow string
	Step string
	Pos  flows.Pos // the failed step's place in its file; zero when the step is unknown
	Err  error
}

func (e *RuntimeError) Error() string {
	if e.Pos.File == "" {
		return fmt.Sprintf("flow %q: %v", e.Flow, e.Err)
	}
	return fmt.Sprintf("%s:%d: flow %q, step %q: %v", e.Pos.File, e.Pos.Line, e.Flow, e.Step, e.Err)
}

func (e *RuntimeError) Unwrap() error { return e.Err }

// fail ends the conversation after a run-time error in a flow: the customer is told
// (settings.error_reply) and, with settings.error_handoff, handed to that queue; the error
// is recorded in the history, logged with the step's file:line, and reported to
// Options.OnError once the run is committed, between the replies sent before it and the
// error reply. The contact's next message starts afresh.
func (r *run) fail(err error) {
	s := r.sess()
	re := &RuntimeError{Flow: s.Flow, Step: s.Step, Err: err}
	if f := r.l.set.Flows[s.Flow]; f != nil {
		if st, _, ok := f.Step(s.Step); ok {
			re.Pos = st.Pos
		}
	}
	r.e.log.Error("flow step failed", slog.String("where", fmt.Sprintf("%s:%d", re.Pos.File, re.Pos.Line)),
		slog.String("flow", re.Flow), slog.String("step", re.Step), slog.String("contact", r.st.Contact.ID.Redacted()), slog.Any("error", err))
	r.record(chat.Event{Kind: chat.EventError, Flow: re.Flow, Step: re.Step, Detail: re.Error()})
	r.failures = append(r.failures, failure{before: len(r.outs), err: re})
	r.endSession()
	set := r.l.set.Settings
	r.say(set.ErrorReply)
	if q := set.ErrorHandoff; q != "" && s.Mode != ModeHuman {
		detail := q
		if sch := set.Schedule(q); !sch.Open(r.now) {
			// Nobody answers before the queue opens: the customer hears when.
			r.say(sch.ClosedMessage(r.now))
			detail = q + " (closed)"
		}
		r.record(chat.Event{Kind: chat.EventHandoff, Flow: re.Flow, Step: re.Step, Queue: q, Detail: detail})
		s.Mode, s.Queue, s.ReturnAfter, s.ReturnTo = ModeHuman, q, 0, nil
	}
}

// failure is a run-time error of a run and how many of the run's replies came before it.
type failure struct {
	before int
	err    *RuntimeError
}
