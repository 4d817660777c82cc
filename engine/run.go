package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
)

// run is the handling of one message or one timer for one contact: it changes st in
// memory and collects replies and history; Engine.update commits them and then sends the
// replies.
type run struct {
	e        *Engine
	ctx      context.Context
	l        *loaded
	st       *State
	now      time.Time
	msg      *chat.Inbound // the message being handled; nil when a timer fired
	folded   string        // normalize.Text(msg.Text), folded once per message
	outs     []chat.Outbound
	events   []chat.Event
	failures []failure   // run-time errors, reported after the commit
	paused   *pause      // the run stopped before a slow step to send its replies first
	resumed  *flows.Step // the step a resumed run starts at, which it does not pause before again
	steps    int         // steps run since the last input
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
	r.routeAndQueue(m, chat.EventOutbound, "")
}

// routeAndQueue addresses a message, lets the router pick its number (or refuse or replace
// it) and queues it for sending after the commit, recording it as an event of kind
// (outbound for the bot, agent for a person) with detail.
func (r *run) routeAndQueue(m chat.Outbound, kind chat.EventKind, detail string) {
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
			r.record(chat.Event{Kind: chat.EventRefused, Outbound: &orig, From: orig.From, To: m.From,
				Detail: "replaced by a " + string(m.Kind) + " message from " + string(m.From)})
		}
	}
	r.outs = append(r.outs, m)
	r.record(chat.Event{Kind: kind, Number: m.From, Outbound: &m, Flow: r.sess().Flow, Step: r.sess().Step, Detail: detail})
}

// say sends a text; one longer than WhatsApp takes goes as several messages, cut at
// paragraph, then sentence, then word boundaries (splitText).
func (r *run) say(text string) {
	for _, part := range splitText(text, flows.MaxText) {
		r.reply(chat.Outbound{Kind: chat.KindText, Text: part})
	}
}

// env builds the expression environment for the current moment of the run.
func (r *run) env() *expr.Env {
	c := &r.st.Contact
	s := r.sess()
	if s.Vars == nil {
		s.Vars = map[string]any{}
	}
	mode := s.Mode
	if mode == "" {
		mode = ModeBot
	}
	env := &expr.Env{
		Budget: r.e.opts.ExprBudget,
		Vars:   s.Vars,
		Number: string(c.LastNumber),
		Now:    r.now,
		Open:   r.l.hours != nil && r.l.hours.Open(r.now),
		Contact: expr.ContactEnv{
			ID: string(c.ID), Name: c.Name, Language: c.Language,
			Tags: c.Tags, Attrs: c.Attrs, OptedOut: c.OptedOut,
		},
		Session: expr.SessionEnv{
			Flow: s.Flow, Step: s.Step, Mode: string(mode),
			Started: s.Started, LastInbound: s.LastInbound,
		},
	}
	if s.Await != nil {
		env.Session.Retries = s.Await.Retries
	}
	if m := r.msg; m != nil {
		env.Message = expr.MessageEnv{
			ID: m.ID, Kind: string(m.Kind), Text: m.Text, Folded: r.folded,
			ReplyID: m.ReplyID,
		}
		if m.Media != nil {
			env.Message.MediaID, env.Message.MimeType = m.Media.ID, m.Media.MimeType
		}
		env.Campaign = m.Campaign
		if m.Number != "" {
			env.Number = string(m.Number)
		}
	}
	return env
}

func (r *run) render(t *expr.Template) (string, error) {
	if t == nil {
		return "", nil
	}
	return t.Render(r.env())
}

// describe names a value's kind for an error a business owner reads.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a text"
	case bool:
		return "true or false"
	case int, int64, float64:
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}
