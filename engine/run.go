package engine

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/normalize"
)

// run is the handling of one message or one timer for one contact: it changes st in
// memory and collects replies and history; Engine.update commits and delivers them.
type run struct {
	e      *Engine
	ctx    context.Context
	l      *loaded
	st     *State
	now    time.Time
	msg    *chat.Inbound // the message being handled; nil when a timer fired
	folded string        // normalize.Text(msg.Text), folded once per message
	outs   []chat.Outbound
	events []chat.Event
	steps  int // steps run since the last input
}

func (e *Engine) newRun(ctx context.Context, st *State) *run {
	l := e.cur.Load()
	if st.Session.Vars == nil {
		st.Session.Vars = map[string]any{}
	}
	wholeNumbers(st.Session.Vars)
	return &run{e: e, ctx: ctx, l: l, st: st, now: e.opts.Clock.Now().In(l.tz)}
}

func (r *run) sess() *Session { return &r.st.Session }

func (r *run) record(ev chat.Event) {
	ev.Contact = r.st.Contact.ID
	if ev.At.IsZero() {
		ev.At = r.now
	}
	if ev.Number == "" {
		ev.Number = r.st.Contact.LastNumber
	}
	r.events = append(r.events, ev)
}

// reply queues an outbound message to the contact from the number it last wrote to.
func (r *run) reply(m chat.Outbound) {
	r.deliver(m, chat.EventOutbound, "")
}

// deliver routes and queues a message, recording it as an event of kind (outbound for
// the bot, agent for a person) with detail.
func (r *run) deliver(m chat.Outbound, kind chat.EventKind, detail string) {
	m.To = r.st.Contact.ID
	if r.msg != nil && m.ReplyTo == "" {
		m.ReplyTo = r.msg.ID
	}
	if m.From == "" {
		m.From = r.st.Contact.LastNumber
	}
	if r.st.Contact.OptedOut {
		r.record(chat.Event{Kind: chat.EventRefused, Outbound: &m, Detail: "contact opted out"})
		return
	}
	if r.e.opts.Router != nil {
		orig := m
		if ok, why := r.e.opts.Router.Route(r.now, r.st, &m); !ok {
			r.record(chat.Event{Kind: chat.EventRefused, Number: m.From, Outbound: &m, Detail: why})
			return
		}
		if m.Kind != orig.Kind || m.Text != orig.Text {
			// The router sent something else in its place (a template outside the
			// window, an invitation to the inbox): the history keeps what the flow said.
			r.record(chat.Event{Kind: chat.EventRefused, Outbound: &orig, Detail: "replaced by a " + string(m.Kind) + " message from " + string(m.From)})
		}
	}
	r.outs = append(r.outs, m)
	r.record(chat.Event{Kind: kind, Number: m.From, Outbound: &m, Flow: r.sess().Flow, Step: r.sess().Step, Detail: detail})
}

func (r *run) say(text string) {
	if text == "" {
		return
	}
	r.reply(chat.Outbound{Kind: chat.KindText, Text: text})
}

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
			r.record(chat.Event{Kind: chat.EventNumber, Number: in.Number, Detail: string(c.LastNumber) + " -> " + string(in.Number)})
		}
		c.LastNumber = in.Number
	}
	if in.Number != "" {
		if c.Windows == nil {
			c.Windows = map[chat.NumberID]time.Time{}
		}
		c.Windows[in.Number] = in.At
	}
	s := r.sess()
	s.LastInbound = r.now
	r.record(chat.Event{Kind: chat.EventInbound, Number: in.Number, At: in.At, Inbound: &in})

	if r.optWords(in) {
		return nil
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
		c.OptedOut, c.OptedOutAt = true, r.now
		r.record(chat.Event{Kind: chat.EventOptOut, Detail: in.Text})
		r.endSession()
		// A hand-off ends too: no agent may write to the contact any more, and after an
		// opt-in the bot, not a forgotten queue, answers.
		r.returnToBot("opt-out")
		r.clearTimers(TimerWait, TimerReturn)
		r.sess().Pending = nil
		r.clearTimers(TimerBurst)
		return true
	case c.OptedOut && slices.Contains(st.OptInWords, folded):
		c.OptedOut, c.OptedOutAt = false, time.Time{}
		r.record(chat.Event{Kind: chat.EventOptIn, Detail: in.Text})
		r.say(st.OptInReply)
		return true
	}
	return false
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

// otherReply returns the button or list trigger that a pressed reply id starts when that
// id is not one of the choices the session waits for; nil otherwise.
func (r *run) otherReply(in chat.Inbound) *flows.Trigger {
	if in.ReplyID == "" {
		return nil
	}
	a := r.sess().Await
	if f := r.l.set.Flows[a.Flow]; f != nil {
		if st, _, ok := f.Step(a.Step); ok {
			for _, c := range choicesOf(st) {
				if c.ID == in.ReplyID {
					return nil
				}
			}
		}
	}
	for _, t := range r.l.set.Triggers {
		if t.Kind == flows.TriggerReply && slices.Contains(t.ReplyIDs, in.ReplyID) {
			return t
		}
	}
	return nil
}

// choicesOf returns the buttons or list rows of a step, or nil for other kinds.
func choicesOf(st *flows.Step) []flows.Choice {
	switch st.Kind {
	case flows.StepButtons:
		return st.Buttons.Choices
	case flows.StepList:
		var all []flows.Choice
		for _, sec := range st.List.Sections {
			all = append(all, sec.Rows...)
		}
		return all
	}
	return nil
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

// setTimer sets a timer, replacing the one of the same kind (for waits: of the same flow,
// so waits of different flows can be pending together).
func (r *run) setTimer(t Timer) {
	s := r.sess()
	s.Timers = slices.DeleteFunc(s.Timers, func(x Timer) bool { return sameTimer(x, t) })
	s.Timers = append(s.Timers, t)
}

func sameTimer(a, b Timer) bool {
	return a.Kind == b.Kind && (a.Kind != TimerWait || a.Flow == b.Flow)
}

func (r *run) clearTimers(kinds ...TimerKind) {
	s := r.sess()
	s.Timers = slices.DeleteFunc(s.Timers, func(x Timer) bool { return slices.Contains(kinds, x.Kind) })
	if len(s.Timers) == 0 {
		s.Timers = nil
	}
}

func (r *run) returnToBot(why string) {
	s := r.sess()
	if s.Mode != ModeHuman {
		return
	}
	r.record(chat.Event{Kind: chat.EventReturn, Detail: why + ": " + s.Queue})
	s.Mode, s.Queue, s.ReturnAfter = ModeBot, "", 0
	r.clearTimers(TimerReturn)
}

// waitRetry is how long a wait that fell due while the contact was busy is put off.
const waitRetry = 10 * time.Minute

// fireDue acts on every timer of this contact that is due.
func (r *run) fireDue() error {
	s := r.sess()
	var due []Timer
	for _, t := range s.Timers {
		if !t.Due.After(r.now) {
			due = append(due, t)
		}
	}
	slices.SortStableFunc(due, func(a, b Timer) int { return a.Due.Compare(b.Due) })
	for _, t := range due {
		s.Timers = slices.DeleteFunc(s.Timers, func(x Timer) bool { return sameTimer(x, t) })
		switch t.Kind {
		case TimerBurst:
			r.flushBurst()
		case TimerReturn:
			r.returnToBot("timer")
		case TimerTimeout:
			if s.Await == nil || s.Await.Flow != t.Flow || s.Await.Step != t.Step {
				continue
			}
			r.msg, r.steps = nil, 0
			if err := r.timeout(); err != nil {
				return err
			}
		case TimerWait:
			if s.Await != nil || s.Mode == ModeHuman {
				// The contact is in the middle of something (answering a question,
				// talking to an agent): the flow resumes a little later.
				t.Due = r.now.Add(waitRetry)
				r.setTimer(t)
				continue
			}
			r.msg, r.steps = nil, 0
			s.Stack = slices.Clone(t.Stack)
			if err := r.continueAfter(t.Flow, t.Step); err != nil {
				return err
			}
		}
	}
	return nil
}
