package engine

import (
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// stepHandoff hands the conversation to a human queue: the bot stays silent until an
// agent returns it (ReturnToBot), the return timer fires, the contact asks for the bot
// with a bot word or opts out. A queue closed at this moment (settings.queues hours)
// either sends the flow to out_of_hours' goto, or says its text (by default: when the
// queue opens) in place of say, and the conversation waits in the queue for the agents.
func (r *run) stepHandoff(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	h := st.Handoff
	say := h.Say
	detail := h.Queue
	if sch := r.l.set.Settings.Schedule(h.Queue); !sch.Open(r.now) {
		oh := h.OutOfHours
		if oh != nil && !oh.Goto.IsZero() {
			return actJump, oh.Goto, nil // no hand-off: nothing for the inbox to show
		}
		detail = h.Queue + " (closed)"
		if oh != nil && oh.Say != nil {
			say = oh.Say
		} else {
			say = nil
			r.say(sch.ClosedMessage(r.now))
		}
	}
	text, err := r.render(say)
	if err != nil {
		return 0, flows.Target{}, err
	}
	r.say(text)
	r.record(chat.Event{Kind: chat.EventHandoff, Flow: f.Name, Step: st.ID, Queue: h.Queue, Detail: detail})
	r.endSession()
	s := r.sess()
	s.Mode, s.Queue, s.ReturnAfter, s.ReturnTo = ModeHuman, h.Queue, h.Return, nil
	if !h.ReturnTo.IsZero() {
		s.ReturnTo = &Frame{Flow: h.ReturnTo.Flow, Step: h.ReturnTo.Step}
	}
	if h.Return > 0 {
		r.setTimer(Timer{Kind: TimerReturn, Due: r.now.Add(h.Return)})
	}
	return actStop, flows.Target{}, nil
}

// returnToBot ends a hand-off, recording why.
func (r *run) returnToBot(why string) {
	s := r.sess()
	if s.Mode != ModeHuman {
		return
	}
	r.record(chat.Event{Kind: chat.EventReturn, Queue: s.Queue, Detail: why + ": " + s.Queue})
	s.Mode, s.Queue, s.ReturnAfter, s.ReturnTo = ModeBot, "", 0, nil
	r.clearTimers(TimerReturn)
}

// comeBack ends a hand-off that ends by itself, recording why. The return timer
// (byWord false) continues the flows at the hand-off's return_to, or leaves the bot
// waiting for the next message; the contact's bot word starts the restart flow, since
// the contact asked for the bot and the bot should answer.
func (r *run) comeBack(why string, byWord bool) error {
	s := r.sess()
	if s.Mode != ModeHuman {
		return nil
	}
	to := s.ReturnTo
	r.returnToBot(why)
	s.Stack = nil
	restart := r.l.set.Settings.RestartFlow
	switch {
	case byWord && restart != "":
		r.startFlow(restart)
		return r.jump(flows.Target{Flow: restart})
	case !byWord && to != nil:
		r.msg, r.steps = nil, 0
		return r.jump(flows.Target{Flow: to.Flow, Step: to.Step})
	}
	return nil
}
