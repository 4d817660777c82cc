package engine

import (
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// stepHandoff hands the conversation to a human queue: the bot stays silent until an
// agent returns it (ReturnToBot), the return timer fires or the contact opts out.
func (r *run) stepHandoff(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	text, err := r.render(st.Handoff.Say)
	if err != nil {
		return 0, flows.Target{}, err
	}
	r.say(text)
	r.record(chat.Event{Kind: chat.EventHandoff, Flow: f.Name, Step: st.ID, Queue: st.Handoff.Queue, Detail: st.Handoff.Queue})
	r.endSession()
	s := r.sess()
	s.Mode, s.Queue, s.ReturnAfter = ModeHuman, st.Handoff.Queue, st.Handoff.Return
	if st.Handoff.Return > 0 {
		r.setTimer(Timer{Kind: TimerReturn, Due: r.now.Add(st.Handoff.Return)})
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
	s.Mode, s.Queue, s.ReturnAfter = ModeBot, "", 0
	r.clearTimers(TimerReturn)
}
