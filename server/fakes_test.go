package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/store"
)

// fakeIntake is an in-memory intake: one dispatcher hands messages out in push order.
type fakeIntake struct {
	mu      sync.Mutex
	queue   []chat.Inbound
	pushed  []chat.Inbound
	pushErr error
	wake    chan struct{}
}

func newFakeIntake() *fakeIntake { return &fakeIntake{wake: make(chan struct{}, 1)} }

func (f *fakeIntake) Push(_ context.Context, msgs []chat.Inbound) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pushErr != nil {
		return f.pushErr
	}
	f.queue = append(f.queue, msgs...)
	f.pushed = append(f.pushed, msgs...)
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeIntake) Pushed() []chat.Inbound {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]chat.Inbound(nil), f.pushed...)
}

func (f *fakeIntake) Run(ctx context.Context, _ int, handle store.Handler) error {
	for {
		f.mu.Lock()
		var next *chat.Inbound
		if len(f.queue) > 0 {
			next = &f.queue[0]
			f.queue = f.queue[1:]
		}
		f.mu.Unlock()
		if next != nil {
			_ = handle(ctx, nil, *next)
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.wake:
		}
	}
}

func (f *fakeIntake) Depth(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return int64(len(f.queue)), nil
}

// fakeEngine records what it was asked; Receive blocks on gate when it is set.
type fakeEngine struct {
	mu       sync.Mutex
	received []chat.Inbound
	sets     []*flows.Set
	due      int
	fired    []chat.ContactID // FireDue's contacts, in order
	started  chan chat.Inbound
	gate     chan struct{}
	err      error // what Receive returns after recording the message
}

func (e *fakeEngine) Receive(ctx context.Context, _ engine.Tx, in chat.Inbound) error {
	if e.started != nil {
		e.started <- in
	}
	if e.gate != nil {
		<-e.gate
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.received = append(e.received, in)
	return e.err
}

func (e *fakeEngine) Received() []chat.Inbound {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]chat.Inbound(nil), e.received...)
}

func (e *fakeEngine) RunDue(context.Context) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.due++
	return 1, nil
}

func (e *fakeEngine) FireDue(_ context.Context, id chat.ContactID) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fired = append(e.fired, id)
	return true, nil
}

func (e *fakeEngine) Fired() []chat.ContactID {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.fired)
}

func (e *fakeEngine) Due() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.due
}

func (e *fakeEngine) SetFlows(set *flows.Set) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sets = append(e.sets, set)
}

func (e *fakeEngine) Sets() []*flows.Set {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*flows.Set(nil), e.sets...)
}

type fakePinger struct{ err error }

func (p *fakePinger) Ping(context.Context) error { return p.err }

type fakeContacts struct{}

func (f fakeContacts) ResolveContacts(ctx context.Context, waIDs, userIDs []string) ([]chat.ContactID, error) {
	out := make([]chat.ContactID, len(waIDs))
	for i := range waIDs {
		id, err := f.ResolveContact(ctx, waIDs[i], userIDs[i])
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

// ResolveContact maps a user id to a known wa_id for one test user.
func (fakeContacts) ResolveContact(_ context.Context, waID, userID string) (chat.ContactID, error) {
	if userID == "MX.1502576394655843" {
		return "5215550001111", nil
	}
	if waID != "" {
		return chat.ContactID(waID), nil
	}
	return chat.ContactID(userID), nil
}

type fakeHistory struct {
	mu     sync.Mutex
	events []chat.Event
}

func (h *fakeHistory) Append(_ context.Context, ev chat.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
	return nil
}

func (h *fakeHistory) Events() []chat.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]chat.Event(nil), h.events...)
}

// fakePreferences records the opt-outs (true) and opt-ins (false) it was given.
type fakePreferences struct {
	mu  sync.Mutex
	got []string
	err error
}

func (p *fakePreferences) SetOptedOut(_ context.Context, id chat.ContactID, out bool, detail string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, fmt.Sprintf("%s %v %s", id, out, detail))
	return p.err
}

func (p *fakePreferences) Got() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

type fakeNumbers struct {
	mu      sync.Mutex
	applied []whatsapp.EventType
	refresh int
	err     error
}

func (n *fakeNumbers) Apply(_ context.Context, ev whatsapp.Event) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.applied = append(n.applied, ev.Type())
	return n.err
}

func (n *fakeNumbers) Refresh(context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.refresh++
	return nil
}

func (n *fakeNumbers) States(context.Context) ([]NumberState, error) {
	return []NumberState{
		{Number: "106540352242922", Role: "inbox", Quality: "GREEN", State: "active"},
		{Number: "2002", Role: "campaign", Quality: "RED", State: "banned"},
	}, nil
}

func (n *fakeNumbers) Campaign(id chat.NumberID) string {
	if id == "2002" {
		return "ramadan"
	}
	return ""
}

func (n *fakeNumbers) Applied() []whatsapp.EventType {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]whatsapp.EventType(nil), n.applied...)
}

func testLogger(buf *syncbuf.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// manualTicks lets a test fire a loop's ticks; it records each requested period.
type manualTicks struct {
	mu    sync.Mutex
	chans map[time.Duration]chan time.Time
}

func (m *manualTicks) Tick(d time.Duration) (<-chan time.Time, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.chans == nil {
		m.chans = map[time.Duration]chan time.Time{}
	}
	c, ok := m.chans[d]
	if !ok {
		c = make(chan time.Time)
		m.chans[d] = c
	}
	return c, func() {}
}

// fire delivers one tick to the loop with period d, waiting until the loop exists.
func (m *manualTicks) fire(ctx context.Context, d time.Duration) error {
	for {
		m.mu.Lock()
		c, ok := m.chans[d]
		m.mu.Unlock()
		if ok {
			select {
			case c <- time.Now():
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("no loop with that period started")
		case <-time.After(time.Millisecond):
		}
	}
}

type fakeStatuses struct {
	mu      sync.Mutex
	applied []string // wamid/status
}

func (f *fakeStatuses) ApplyStatus(_ context.Context, st *whatsapp.Status) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = append(f.applied, st.MessageID+"/"+string(st.Status))
	return nil
}

func (f *fakeStatuses) Applied() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.applied...)
}
