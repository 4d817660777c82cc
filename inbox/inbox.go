package inbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
)

// Engine is what the inbox needs of the engine; *engine.Engine implements it. Replies and
// releases go through it so that an agent's message obeys the same routing, window and
// opt-out rules as the bot's and lands in the same history.
type Engine interface {
	AgentReply(ctx context.Context, id chat.ContactID, agent string, msg chat.Outbound) error
	ReturnToBot(ctx context.Context, id chat.ContactID) error
	State(ctx context.Context, id chat.ContactID) (*engine.State, error)
}

// StepReleaser is an Engine that can also give a conversation back to the bot at a chosen
// step; *engine.Engine is one. Releasing at a step needs it.
type StepReleaser interface {
	ReturnToBotAt(ctx context.Context, id chat.ContactID, flow, step string) error
}

// HistoryReader reads a contact's history across every number, each event with its
// history entry id and each reply with its delivery state, so that the thread shows how
// far every reply got; *store.Redis implements it.
type HistoryReader interface {
	HistoryWithDelivery(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error
}

// MarkReader sends WhatsApp's read receipt (and, with typing, the typing indicator) for
// an inbound message; *sending.Sender implements it.
type MarkReader interface {
	MarkRead(ctx context.Context, number chat.NumberID, messageID string, typing bool) error
}

// Options are what an Inbox runs with. Config, Redis, Engine and History are required.
type Options struct {
	Config  *Config
	Redis   redis.UniversalClient
	Prefix  string // key prefix; default "wasla:inbox"
	Engine  Engine
	History HistoryReader
	// Router, when set, is asked (on a copy of the contact's state) which number a reply
	// would leave from, so the composer can say so before the agent sends.
	Router Previewer
	// MarkRead, when set, sends a read receipt when an agent claims a conversation and the
	// typing indicator while one types; never when an agent merely opens a thread.
	MarkRead MarkReader
	// NumberName, when set, names a business number for agents (its display form).
	NumberName func(chat.NumberID) string
	Clock      clock.Clock
	Logger     *slog.Logger
	// Heartbeat bounds the silence of an event stream (default DefaultHeartbeat).
	Heartbeat time.Duration
}

// DefaultPrefix is the key prefix of the inbox's Redis keys.
const DefaultPrefix = "wasla:inbox"

// Inbox is the agents' inbox. It is safe for concurrent use.
type Inbox struct {
	cfg     *Config
	rec     *records
	eng     Engine
	hist    HistoryReader
	router  Previewer
	marker  MarkReader
	numName func(chat.NumberID) string
	clock   clock.Clock
	log     *slog.Logger
	metrics *Metrics
	beat    time.Duration
}

// New returns an inbox; it does no I/O.
func New(o Options) (*Inbox, error) {
	if o.Config == nil || o.Redis == nil || o.Engine == nil || o.History == nil {
		return nil, errors.New("inbox: config, redis, engine and history are required")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	return &Inbox{beat: o.Heartbeat,
		cfg: o.Config, rec: &records{rdb: o.Redis, prefix: o.Prefix},
		eng: o.Engine, hist: o.History, router: o.Router, marker: o.MarkRead, numName: o.NumberName,
		clock: o.Clock, log: o.Logger, metrics: newMetrics(),
	}, nil
}

// Config returns the inbox's configuration.
func (ib *Inbox) Config() *Config { return ib.cfg }

// Watch wraps the engine's store so that every commit also updates the inbox: hand-offs
// open conversations, customer messages count as unread, agent replies stop the SLA
// clock, and each change reaches the agents' live stream. The inbox is updated after the
// commit succeeded; a failure to update it is logged and counted, never returned, since
// the conversation itself has moved on and a re-run would answer the customer twice.
func Watch(s engine.Store, ib *Inbox) engine.Store { return &watched{Store: s, ib: ib} }

// WatchTx does for one transaction of the intake what Watch does for the store: the
// messages the workers take commit through it.
func (ib *Inbox) WatchTx(tx engine.Tx) engine.Tx { return &watchedTx{Tx: tx, ib: ib} }

type watched struct {
	engine.Store
	ib *Inbox
}

func (w *watched) Commit(ctx context.Context, st *engine.State, history []chat.Event) error {
	if err := w.Store.Commit(ctx, st, history); err != nil {
		return err
	}
	w.ib.afterCommit(ctx, st, history)
	return nil
}

type watchedTx struct {
	engine.Tx
	ib *Inbox
}

func (w *watchedTx) Commit(ctx context.Context, st *engine.State, history []chat.Event) error {
	if err := w.Tx.Commit(ctx, st, history); err != nil {
		return err
	}
	w.ib.afterCommit(ctx, st, history)
	return nil
}

func (ib *Inbox) afterCommit(ctx context.Context, st *engine.State, history []chat.Event) {
	if err := ib.Observe(ctx, st, history); err != nil {
		ib.metrics.observeErrors.Inc()
		ib.log.Warn("inbox: updating conversation after commit", slog.String("contact", st.Contact.ID.Redacted()), slog.Any("error", err))
	}
}

// Observe updates the contact's conversation from history just committed with st. Only
// conversations in a human's hands, or changing hands, concern the inbox; the bot's own
// conversations cost nothing here.
func (ib *Inbox) Observe(ctx context.Context, st *engine.State, history []chat.Event) error {
	if len(history) == 0 {
		return nil
	}
	handing := slices.ContainsFunc(history, func(ev chat.Event) bool {
		return ev.Kind == chat.EventHandoff || ev.Kind == chat.EventReturn
	})
	if st.Session.Mode != engine.ModeHuman && !handing {
		return nil
	}
	now := ib.clock.Now()
	var breaches []string
	c, err := ib.rec.update(ctx, st.Contact.ID, handing, func(c *Conversation) error {
		breaches = breaches[:0]
		if st.Contact.Name != "" {
			c.Name = st.Contact.Name
		}
		inbound := 0
		for _, ev := range history {
			switch ev.Kind {
			case chat.EventInbound:
				inbound++
				if ev.Inbound != nil {
					c.LastInbound, c.LastMessageID, c.LastNumber = ev.At, ev.Inbound.ID, ev.Inbound.Number
					c.Preview = preview(inboundText(ev.Inbound))
				}
				if c.State != StateClosed {
					c.Unread++
					if c.Awaiting.IsZero() {
						c.Awaiting = ev.At
					}
				}
			case chat.EventHandoff:
				*c = Conversation{Contact: c.Contact, Name: c.Name, Labels: c.Labels, Version: c.Version,
					LastInbound: c.LastInbound, LastMessageID: c.LastMessageID, LastNumber: c.LastNumber, Preview: c.Preview,
					Queue: cmp.Or(ev.Queue, ev.Detail), State: StateWaiting, Opened: ev.At, Unread: inbound}
			case chat.EventAgent:
				if kind := ib.breach(c, ev.At); kind != "" {
					breaches = append(breaches, kind)
				}
				if c.FirstReply.IsZero() {
					c.FirstReply = ev.At
				}
				c.Awaiting = time.Time{}
				if ev.Outbound != nil {
					c.Preview = preview(outboundText(ev.Outbound))
				}
			case chat.EventOutbound:
				if ev.Outbound != nil {
					c.Preview = preview(outboundText(ev.Outbound))
				}
			case chat.EventReturn:
				if c.State != StateClosed {
					c.State, c.ClosedReason = StateClosed, "returned to the bot ("+ev.Detail+")"
				}
			}
		}
		c.Updated = now
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil // in human mode from before the inbox was configured
	}
	if err != nil {
		return err
	}
	for _, kind := range breaches {
		ib.metrics.breaches.WithLabelValues(c.Queue, kind).Inc()
	}
	evs := make([]Event, 0, len(history)+1)
	for i := range history {
		if history[i].Kind == chat.EventStatus && st.Session.Mode != engine.ModeHuman {
			continue
		}
		evs = append(evs, Event{Type: EventMessage, Contact: c.Contact, Queue: c.Queue, Message: &history[i]})
	}
	evs = append(evs, Event{Type: EventConversation, Contact: c.Contact, Queue: c.Queue, Conversation: c})
	return ib.rec.publish(ctx, evs...)
}

// previewRunes is how much of the latest message the list shows.
const previewRunes = 80

func preview(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= previewRunes {
		return s
	}
	r := []rune(s)
	return string(r[:previewRunes]) + "…"
}

func inboundText(in *chat.Inbound) string {
	if in.Text != "" {
		return in.Text
	}
	return "[" + string(in.Kind) + "]"
}

func outboundText(o *chat.Outbound) string {
	switch {
	case o.Text != "":
		return o.Text
	case o.Template != nil:
		return "[template " + o.Template.Name + "]"
	case o.Media != nil && o.Media.Caption != "":
		return o.Media.Caption
	}
	return "[" + string(o.Kind) + "]"
}

// Action errors; the API maps them to status codes.
var (
	// ErrForbidden: the agent may not act on this conversation (not in its queue, or it is
	// another agent's).
	ErrForbidden = errors.New("not allowed")
	// ErrClosed: the conversation is closed.
	ErrClosed = errors.New("conversation is closed")
	// ErrNotClaimed: the agent must claim the conversation before answering in it.
	ErrNotClaimed = errors.New("claim the conversation before acting on it")
	// ErrWindowClosed: a free-form reply outside the 24-hour window.
	ErrWindowClosed = errors.New("the 24-hour window is closed: only an approved template can be sent")
	// ErrBadRequest: the request names something that does not exist or is empty.
	ErrBadRequest = errors.New("bad request")
)

// ClaimedError says who won a claim the caller lost.
type ClaimedError struct{ By string }

func (e *ClaimedError) Error() string { return "already claimed by " + e.By }

// Claim gives a waiting conversation to agent. Of two agents claiming at once exactly one
// wins: the write compares the record's version, and the loser, re-reading, finds it
// assigned and gets a *ClaimedError. Claiming sends WhatsApp's read receipt for the
// customer's latest message.
func (ib *Inbox) Claim(ctx context.Context, a *Agent, id chat.ContactID) (*Conversation, error) {
	c, err := ib.change(ctx, a, id, func(c *Conversation) error {
		switch {
		case c.State == StateClosed:
			return ErrClosed
		case c.State == StateAssigned && c.Assignee == a.ID:
			return nil
		case c.State == StateAssigned:
			return &ClaimedError{By: c.Assignee}
		}
		c.State, c.Assignee = StateAssigned, a.ID
		return nil
	})
	var lost *ClaimedError
	switch {
	case errors.As(err, &lost):
		ib.metrics.claims.WithLabelValues("lost").Inc()
		return nil, err
	case err != nil:
		return nil, err
	}
	ib.metrics.claims.WithLabelValues("won").Inc()
	ib.markRead(ctx, c, false)
	return c, nil
}

// Typing sends the typing indicator (with the read receipt WhatsApp ties to it) for the
// conversation the agent holds.
func (ib *Inbox) Typing(ctx context.Context, a *Agent, id chat.ContactID) error {
	c, err := ib.rec.get(ctx, id)
	if err != nil {
		return err
	}
	if err := ownedBy(c, a); err != nil {
		return err
	}
	ib.markRead(ctx, c, true)
	return nil
}

func (ib *Inbox) markRead(ctx context.Context, c *Conversation, typing bool) {
	if ib.marker == nil || c.LastMessageID == "" || c.LastNumber == "" {
		return
	}
	if err := ib.marker.MarkRead(ctx, c.LastNumber, c.LastMessageID, typing); err != nil {
		ib.log.Warn("inbox: read receipt not sent", slog.String("contact", c.Contact.Redacted()), slog.Any("error", err))
	}
}

// ownedBy checks that the agent holds the conversation (admins may act on any).
func ownedBy(c *Conversation, a *Agent) error {
	switch {
	case !a.InQueue(c.Queue):
		return ErrForbidden
	case c.State == StateClosed:
		return ErrClosed
	case a.Role == RoleAdmin:
		return nil
	case c.State != StateAssigned:
		return ErrNotClaimed
	case c.Assignee != a.ID:
		return fmt.Errorf("%w: the conversation is %s's", ErrForbidden, c.Assignee)
	}
	return nil
}

// change applies fn to the record on behalf of agent a, after checking the agent works on
// the conversation's queue, and publishes the result.
func (ib *Inbox) change(ctx context.Context, a *Agent, id chat.ContactID, fn func(*Conversation) error) (*Conversation, error) {
	var was string
	c, err := ib.rec.update(ctx, id, false, func(c *Conversation) error {
		if !a.InQueue(c.Queue) {
			return ErrForbidden
		}
		was = c.Queue
		if err := fn(c); err != nil {
			return err
		}
		c.Updated = ib.clock.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	evs := []Event{{Type: EventConversation, Contact: c.Contact, Queue: c.Queue, Conversation: c}}
	if was != c.Queue {
		// The agents of the queue it left see it leave.
		evs = append(evs, Event{Type: EventConversation, Contact: c.Contact, Queue: was, Conversation: c})
	}
	return c, ib.rec.publish(ctx, evs...)
}

// Transfer moves the conversation to another queue (waiting there) or to another agent
// (assigned to them; queue, if given, becomes theirs too). Only the agent holding it or
// an admin may transfer it.
func (ib *Inbox) Transfer(ctx context.Context, a *Agent, id chat.ContactID, queue, agentID string) (*Conversation, error) {
	if queue == "" && agentID == "" {
		return nil, fmt.Errorf("%w: name a queue or an agent to transfer to", ErrBadRequest)
	}
	if queue != "" {
		if _, ok := ib.cfg.Queue(queue); !ok {
			return nil, fmt.Errorf("%w: no queue %q", ErrBadRequest, queue)
		}
	}
	var to *Agent
	if agentID != "" {
		var ok bool
		if to, ok = ib.cfg.Agent(agentID); !ok {
			return nil, fmt.Errorf("%w: no agent %q", ErrBadRequest, agentID)
		}
	}
	return ib.change(ctx, a, id, func(c *Conversation) error {
		if err := ownedBy(c, a); err != nil && !(errors.Is(err, ErrNotClaimed) && c.State == StateWaiting) {
			return err
		}
		if queue != "" {
			c.Queue = queue
		}
		if to == nil {
			c.State, c.Assignee = StateWaiting, ""
			return nil
		}
		if !to.InQueue(c.Queue) {
			return fmt.Errorf("%w: agent %s does not work on queue %s", ErrBadRequest, to.ID, c.Queue)
		}
		c.State, c.Assignee = StateAssigned, to.ID
		return nil
	})
}

// Release gives the conversation back to the bot: the customer's next message runs the
// flows again. Close does the same and records the conversation as resolved; both end
// the hand-off, since a closed conversation left in human mode would leave the customer
// talking to nobody.
func (ib *Inbox) Release(ctx context.Context, a *Agent, id chat.ContactID) (*Conversation, error) {
	return ib.end(ctx, a, id, "released to the bot by "+a.Name, func() error { return ib.eng.ReturnToBot(ctx, id) })
}

// ReleaseAt gives the conversation back to the bot, which runs step of flow at once (the
// flow's first step when step is empty).
func (ib *Inbox) ReleaseAt(ctx context.Context, a *Agent, id chat.ContactID, flow, step string) (*Conversation, error) {
	sr, ok := ib.eng.(StepReleaser)
	if !ok {
		return nil, fmt.Errorf("%w: this engine cannot release at a step", ErrBadRequest)
	}
	at := flow
	if step != "" {
		at += "/" + step
	}
	return ib.end(ctx, a, id, "released to the bot at "+at+" by "+a.Name, func() error {
		err := sr.ReturnToBotAt(ctx, id, flow, step)
		if errors.Is(err, engine.ErrNoStep) {
			return fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		return err
	})
}

// Close resolves the conversation; see Release.
func (ib *Inbox) Close(ctx context.Context, a *Agent, id chat.ContactID) (*Conversation, error) {
	return ib.end(ctx, a, id, "closed by "+a.Name, func() error { return ib.eng.ReturnToBot(ctx, id) })
}

func (ib *Inbox) end(ctx context.Context, a *Agent, id chat.ContactID, reason string, toBot func() error) (*Conversation, error) {
	c, err := ib.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ownedBy(c, a); err != nil {
		return nil, err
	}
	if err := toBot(); err != nil {
		return nil, fmt.Errorf("returning the conversation to the bot: %w", err)
	}
	return ib.change(ctx, a, id, func(c *Conversation) error {
		if c.State != StateClosed {
			// A response the customer was owed and never got counts as breached.
			if kind := ib.breach(c, ib.clock.Now()); kind != "" {
				ib.metrics.breaches.WithLabelValues(c.Queue, kind).Inc()
			}
		}
		c.State, c.ClosedReason = StateClosed, reason
		return nil
	})
}

// AddNote records an internal note.
func (ib *Inbox) AddNote(ctx context.Context, a *Agent, id chat.ContactID, text string) (*Note, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("%w: the note is empty", ErrBadRequest)
	}
	c, err := ib.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.InQueue(c.Queue) {
		return nil, ErrForbidden
	}
	n := Note{Agent: a.ID, Text: text, At: ib.clock.Now()}
	if err := ib.rec.addNote(ctx, id, n); err != nil {
		return nil, err
	}
	return &n, ib.rec.publish(ctx, Event{Type: EventNote, Contact: id, Queue: c.Queue, Note: &n})
}

// SetLabels replaces the conversation's labels.
func (ib *Inbox) SetLabels(ctx context.Context, a *Agent, id chat.ContactID, labels []string) (*Conversation, error) {
	clean := make([]string, 0, len(labels))
	for _, l := range labels {
		if l = strings.TrimSpace(l); l != "" && !slices.Contains(clean, l) {
			clean = append(clean, l)
		}
	}
	return ib.change(ctx, a, id, func(c *Conversation) error {
		c.Labels = clean
		return nil
	})
}

// Seen marks the conversation read in the inbox: its unread count drops to zero. It sends
// nothing to WhatsApp.
func (ib *Inbox) Seen(ctx context.Context, a *Agent, id chat.ContactID) (*Conversation, error) {
	return ib.change(ctx, a, id, func(c *Conversation) error {
		c.Unread = 0
		return nil
	})
}

// Conversation returns the record if the agent may see it.
func (ib *Inbox) Conversation(ctx context.Context, a *Agent, id chat.ContactID) (*Conversation, error) {
	c, err := ib.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.InQueue(c.Queue) {
		return nil, ErrForbidden
	}
	return c, nil
}

// Thread returns the customer's whole history, across every number, and the notes. Each
// event carries its history entry id, and each bot or agent reply its delivery state when
// one is known.
func (ib *Inbox) Thread(ctx context.Context, a *Agent, id chat.ContactID) ([]chat.Event, []Note, error) {
	if _, err := ib.Conversation(ctx, a, id); err != nil {
		return nil, nil, err
	}
	var evs []chat.Event
	err := ib.hist.HistoryWithDelivery(ctx, id, time.Time{}, time.Time{}, func(ev chat.Event) error {
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading history: %w", err)
	}
	notes, err := ib.rec.notes(ctx, id)
	return evs, notes, err
}
