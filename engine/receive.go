package engine

import (
	"fmt"
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
	if in.Kind == chat.KindCall {
		return r.receiveCall(in)
	}
	r.wroteTo(in.Number, in.At)
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

// wroteTo notes that the contact reached the business on number at at: it becomes the
// contact's number (recorded when it changes), and that number's 24-hour window runs from
// at unless a newer message already opened it.
func (r *run) wroteTo(number chat.NumberID, at time.Time) {
	if number == "" {
		return
	}
	c := &r.st.Contact
	if number != c.LastNumber {
		if c.LastNumber != "" {
			r.record(chat.Event{Kind: chat.EventNumber, Number: number, From: c.LastNumber, To: number,
				Detail: string(c.LastNumber) + " -> " + string(number)})
		}
		c.LastNumber = number
	}
	if c.Windows == nil {
		c.Windows = map[chat.NumberID]time.Time{}
	}
	// The window runs from the newest message: a late delivery of an older one (Meta
	// does not keep webhook order) never shortens it.
	if at.After(c.Windows[number]) {
		c.Windows[number] = at
	}
}

// receiveCall records a voice call in the history. A call the contact placed opens the
// number's 24-hour window as a message does (Meta: "when a WhatsApp user messages you or
// calls you"), so the bot and agents may answer in writing; a call the business placed
// does not. A call leaves the session as it is — a flow waiting for an answer keeps
// waiting — and starts a flow only when one asks for it with a call trigger, once the
// call has ended; otherwise nothing is sent because the phone rang.
func (r *run) receiveCall(in chat.Inbound) error {
	if in.Call.FromContact() {
		r.wroteTo(in.Number, in.At)
	}
	r.record(chat.Event{Kind: chat.EventCall, Number: in.Number, At: in.At, Inbound: &in, Detail: callDetail(in.Call)})
	s := r.sess()
	if r.st.Contact.OptedOut || s.Mode == ModeHuman || s.Await != nil {
		return nil
	}
	t := r.callTrigger(in.Call)
	if t == nil {
		return nil
	}
	r.msg, r.steps = nil, 0 // no message to quote: a reply answers the call
	r.startFlow(t.Flow)
	return r.jump(flows.Target{Flow: t.Flow})
}

// callTrigger returns the first call trigger, in priority order, that a call matches:
// the end of a call the contact placed, unanswered for `missed`.
func (r *run) callTrigger(c *chat.Call) *flows.Trigger {
	if !c.FromContact() || c.Event != chat.CallTerminate {
		return nil
	}
	for _, t := range r.l.set.Triggers {
		if t.Kind != flows.TriggerCall {
			continue
		}
		if t.Call == flows.CallAny || (t.Call == flows.CallMissed && c.Status != "COMPLETED") {
			return t
		}
	}
	return nil
}

// callDetail describes a call for people reading the history.
func callDetail(c *chat.Call) string {
	if c == nil {
		return "call"
	}
	who := "call from the customer"
	if !c.FromContact() {
		who = "call from the business"
	}
	switch {
	case c.Event == chat.CallConnect:
		return who + ": ringing"
	case c.Status == "COMPLETED" && c.Duration > 0:
		return fmt.Sprintf("%s: ended after %d s", who, c.Duration)
	case c.Status == "FAILED":
		return who + ": not answered or failed"
	case c.Status != "":
		return who + ": ended, " + strings.ToLower(c.Status)
	}
	return who + ": " + c.Event
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

// handle answers one message in bot mode. A message the flows leave without any reply
// (no message and no refusal) still gets the router's reminder when it has one due.
func (r *run) handle(in chat.Inbound) error {
	before := len(r.events)
	err := r.handleMessage(in)
	if err != nil || in.Kind == chat.KindReaction || r.answered(before) {
		return err
	}
	if rem, ok := r.e.opts.Router.(Reminder); ok {
		if m, ok := rem.Remind(r.now, r.st); ok {
			m.To = r.st.Contact.ID
			r.outs = append(r.outs, m)
			r.record(chat.Event{Kind: chat.EventOutbound, Number: m.From, Outbound: &m,
				Detail: "reminder: the flows did not answer, and the contact keeps writing to this number"})
		}
	}
	return nil
}

// answered reports whether the run recorded a reply, or a refused one, since event index
// before.
func (r *run) answered(before int) bool {
	for _, ev := range r.events[before:] {
		if ev.Kind == chat.EventOutbound || ev.Kind == chat.EventRefused {
			return true
		}
	}
	return false
}

// handleMessage answers one message in bot mode.
func (r *run) handleMessage(in chat.Inbound) error {
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
