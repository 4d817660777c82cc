package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/normalize"
)

// receive records an inbound message and answers it, or adds it to a burst.
func (r *run) receive(in chat.Inbound) error {
	if in.At.IsZero() {
		in.At = r.now
	}
	c := &r.st.Contact
	if c.ID == "" {
		c.ID = in.Contact
	}
	if in.UserID != "" {
		c.UserID = in.UserID
	}
	if in.ProfileName != "" {
		c.Name = in.ProfileName
	}
	if in.Number != "" && in.Number != c.LastNumber {
		if c.LastNumber != "" {
			r.record(chat.Event{Kind: chat.EventNumber, Number: in.Number, From: c.LastNumber, To: in.Number,
				Detail: string(c.LastNumber) + " -> " + string(in.Number)})
		}
		c.LastNumber = in.Number
	}
	if in.Number != "" {
		if c.Windows == nil {
			c.Windows = map[chat.NumberID]time.Time{}
		}
		// The window runs from the newest message: a late delivery of an older one (Meta
		// does not keep webhook order) never shortens it.
		if in.At.After(c.Windows[in.Number]) {
			c.Windows[in.Number] = in.At
		}
	}
	s := r.sess()
	s.LastInbound = r.now
	r.record(chat.Event{Kind: chat.EventInbound, Number: in.Number, At: in.At, Inbound: &in})

	if r.optWords(in) {
		return nil
	}
	if !c.OptedOut && s.Mode == ModeHuman && in.Kind == chat.KindText &&
		slices.Contains(r.l.set.Settings.BotWords, normalize.Text(in.Text)) {
		return r.comeBack("bot word", true) // the contact asked for the bot back
	}
	if c.OptedOut || s.Mode == ModeHuman {
		return nil // recorded; nobody from the bot answers
	}
	if in.Kind == chat.KindReaction {
		return r.handle(in) // an emoji on an earlier message neither joins nor ends a burst
	}
	if w := r.l.set.Settings.BurstWindow; w > 0 && in.Kind == chat.KindText {
		s.Pending = append(s.Pending, in)
		first := s.Pending[0].At
		due := r.now.Add(w)
		if limit := first.Add(3 * w); due.After(limit) && limit.After(r.now) {
			due = limit // a contact who never pauses still gets an answer
		}
		r.setTimer(Timer{Kind: TimerBurst, Due: due})
		return nil
	}
	r.flushBurst()
	return r.handle(in)
}

// flushBurst answers a collected burst as one message.
func (r *run) flushBurst() {
	s := r.sess()
	if len(s.Pending) == 0 {
		return
	}
	pending := s.Pending
	s.Pending = nil
	r.clearTimers(TimerBurst)
	msg := pending[len(pending)-1]
	if len(pending) > 1 {
		texts := make([]string, len(pending))
		for i, p := range pending {
			texts[i] = p.Text
		}
		msg.Text = strings.Join(texts, "\n")
	}
	_ = r.handle(msg)
}

// optWords honours opt-out and opt-in words; it reports whether the message was one.
func (r *run) optWords(in chat.Inbound) bool {
	if in.Kind != chat.KindText {
		return false
	}
	st := r.l.set.Settings
	folded := normalize.Text(in.Text)
	c := &r.st.Contact
	switch {
	case slices.Contains(st.OptOutWords, folded):
		if c.OptedOut {
			return true // confirmed once already
		}
		r.say(st.OptOutReply)
		r.optOut(in.Text)
		return true
	case c.OptedOut && slices.Contains(st.OptInWords, folded):
		r.optIn(in.Text)
		r.say(st.OptInReply)
		return true
	}
	return false
}

// optOut marks the contact opted out and ends what could still write to them; detail
// says how (the word, or Meta's marketing stop).
func (r *run) optOut(detail string) {
	c := &r.st.Contact
	c.OptedOut, c.OptedOutAt = true, r.now
	r.record(chat.Event{Kind: chat.EventOptOut, Detail: detail})
	r.endSession()
	// A hand-off ends too: no agent may write to the contact any more, and after an
	// opt-in the bot, not a forgotten queue, answers.
	r.returnToBot("opt-out")
	r.clearTimers(TimerWait, TimerReturn)
	r.sess().Pending = nil
	r.clearTimers(TimerBurst)
}

// optIn lifts an opt-out.
func (r *run) optIn(detail string) {
	c := &r.st.Contact
	c.OptedOut, c.OptedOutAt = false, time.Time{}
	r.record(chat.Event{Kind: chat.EventOptIn, Detail: detail})
}

// handle answers one message in bot mode.
func (r *run) handle(in chat.Inbound) error {
	r.msg = &in
	r.steps = 0
	set := r.l.set
	r.folded = normalize.Text(in.Text)
	folded := r.folded
	s := r.sess()
	if in.Kind == chat.KindText && slices.Contains(set.Settings.RestartWords, folded) {
		r.endSession()
		if set.Settings.RestartFlow != "" {
			r.startFlow(set.Settings.RestartFlow)
			return r.jump(flows.Target{Flow: set.Settings.RestartFlow})
		}
	}
	if s.Await != nil {
		if in.Kind == chat.KindReaction {
			return nil // a 👍 on an earlier message answers no question
		}
		if t := r.otherReply(in); t != nil {
			// A button of an earlier message that starts its own flow: the contact
			// changed their mind, so the question is dropped rather than answered.
			r.endSession()
			r.startFlow(t.Flow)
			return r.jump(flows.Target{Flow: t.Flow})
		}
		return r.answer(in)
	}
	if t := r.matchTrigger(in, folded); t != nil {
		r.startFlow(t.Flow)
		return r.jump(flows.Target{Flow: t.Flow})
	}
	return nil
}
