package inbox_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/inbox"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

// sendOutbox runs the store's outbox until every reply of the customer left, each answered
// by Meta with the wamid "wamid.<its text>", and returns the wamids by history entry id.
func (h *harness) sendOutbox() map[string]string {
	h.t.Helper()
	return sendOutbox(h.t, h.store)
}

func sendOutbox(t testing.TB, st *store.Redis) map[string]string {
	t.Helper()
	o, err := store.NewOutbox(st, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- o.Run(ctx, 1, func(_ context.Context, d store.Delivery) store.Outcome {
			return store.Outcome{Wamid: "wamid." + d.Message.Text}
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; {
		states, err := st.DeliveryStates(t.Context(), customer)
		if err != nil {
			t.Fatal(err)
		}
		queued := 0
		out := map[string]string{}
		for entry, d := range states {
			if d.State == chat.StateQueued {
				queued++
			}
			out[entry] = d.Wamid
		}
		if queued == 0 && len(states) > 0 {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox did not send: %+v", states)
		}
		time.Sleep(time.Millisecond) // polling a real outbox with a deadline
	}
}

// history reads the thread as the API gives it.
func (h *harness) history(token string) []chat.Event {
	h.t.Helper()
	var got struct{ Events []chat.Event }
	if code := h.call(token, "GET", "/conversations/"+string(customer)+"/history", nil, &got); code != http.StatusOK {
		h.t.Fatalf("history answered %d", code)
	}
	return got.Events
}

// The thread gives each bot and agent reply its history entry id and delivery state —
// queued in the outbox, sent with Meta's wamid, then what the status webhooks said — and
// a state that moves reaches the agents of the conversation's queue as a delivery event
// naming the entry, so an open thread moves its ticks without reloading.
func TestThreadShowsDeliveryStates(t *testing.T) {
	h := newHarnessWith(t, store.Options{Outbox: true})
	ctx := context.Background()
	h.write(inboxNum, "موظف")
	h.call(saraToken, "POST", "/conversations/"+string(customer)+"/claim", nil, nil)
	reply := "أهلاً، Order #12"
	if code := h.call(saraToken, "POST", "/conversations/"+string(customer)+"/reply", map[string]string{"text": reply}, nil); code != http.StatusOK {
		t.Fatalf("reply answered %d", code)
	}

	agentEvent := func() chat.Event {
		for _, ev := range h.history(saraToken) {
			if ev.Kind == chat.EventAgent {
				return ev
			}
		}
		t.Fatal("the thread has no agent reply")
		return chat.Event{}
	}
	ev := agentEvent()
	if ev.ID == "" || ev.Delivery == nil || ev.Delivery.State != chat.StateQueued {
		t.Fatalf("the agent's reply before sending: id %q, delivery %+v; want an id and queued", ev.ID, ev.Delivery)
	}
	for _, e := range h.history(saraToken) {
		if e.Kind == chat.EventInbound && e.Delivery != nil {
			t.Errorf("a customer's message has a delivery state: %+v", e.Delivery)
		}
	}

	wamids := h.sendOutbox()
	ev = agentEvent()
	if ev.Delivery == nil || ev.Delivery.State != chat.StateSent || ev.Delivery.Wamid != "wamid."+reply || wamids[ev.ID] != ev.Delivery.Wamid {
		t.Fatalf("the agent's reply after sending: %+v, want sent with wamid.%s", ev.Delivery, reply)
	}

	var list struct{ After string }
	h.call(saraToken, "GET", "/conversations", nil, &list)
	for _, st := range []chat.DeliveryState{chat.StateDelivered, chat.StateRead} {
		h.clk.Advance(time.Minute)
		d := chat.Delivery{State: st, Wamid: ev.Delivery.Wamid, Number: inboxNum, At: h.clk.Now()}
		res, entry, err := h.store.ApplyDelivery(ctx, customer, d)
		if err != nil || res != store.StatusApplied || entry != ev.ID {
			t.Fatalf("applying %s: %v %v, entry %q (want %q)", st, res, err, entry, ev.ID)
		}
		if err := h.ib.DeliveryChanged(ctx, customer, entry, d); err != nil {
			t.Fatal(err)
		}
	}
	if d := agentEvent().Delivery; d == nil || d.State != chat.StateRead {
		t.Errorf("the agent's reply after delivered and read: %+v", d)
	}

	got := h.readSSE(saraToken, list.After)
	var states []chat.DeliveryState
	for _, e := range got {
		if e.typ != string(inbox.EventDelivery) {
			t.Errorf("unexpected %s event %+v", e.typ, e.data)
			continue
		}
		if e.data.Entry != ev.ID || e.data.Contact != customer || e.data.Queue != "sales" || e.data.Delivery == nil {
			t.Fatalf("delivery event %+v, want entry %s of %s in sales", e.data, ev.ID, customer)
		}
		states = append(states, e.data.Delivery.State)
	}
	if len(states) != 2 || states[0] != chat.StateDelivered || states[1] != chat.StateRead {
		t.Errorf("delivery events carried %v, want delivered then read", states)
	}
	if got := h.readSSE(linaToken, list.After); len(got) != 0 {
		t.Errorf("lina, not in sales, received %d delivery events", len(got))
	}

	// A contact the inbox does not hold publishes nothing.
	if err := h.ib.DeliveryChanged(ctx, "966500000000", "1-0", chat.Delivery{State: chat.StateRead}); err != nil {
		t.Fatal(err)
	}
	if got := h.readSSE(saraToken, list.After); len(got) != 2 {
		t.Errorf("after a bot-only contact's status the stream holds %d events, want the 2 of before", len(got))
	}
}

// historyOnly reads the history without the delivery states, as the thread did before.
type historyOnly struct{ st *store.Redis }

func (h historyOnly) HistoryWithDelivery(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error {
	return h.st.History(ctx, id, from, to, fn)
}

// BenchmarkThread reads a handed-off thread of a customer message and 100 agent replies,
// all sent, on a real redis-server: with the delivery states (one more round trip and a
// hash of 100 states) and without.
func BenchmarkThread(b *testing.B) {
	client := redistest.Start(b).Client(b)
	st, err := store.New(client, store.Options{Outbox: true})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := inbox.LoadConfig("testdata/inbox.yaml")
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	withStates, err := inbox.New(inbox.Options{Config: cfg, Redis: client, Engine: engineRef{}, History: st})
	if err != nil {
		b.Fatal(err)
	}
	cs, err := st.Load(ctx, customer)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	cs.Session.Mode, cs.Session.Queue = engine.ModeHuman, "sales"
	cs.Contact.Windows = map[chat.NumberID]time.Time{inboxNum: now}
	evs := []chat.Event{
		{Kind: chat.EventInbound, Contact: customer, Number: inboxNum, At: now,
			Inbound: &chat.Inbound{ID: "wamid.in", Contact: customer, Number: inboxNum, Kind: chat.KindText, Text: "موظف", At: now}},
		{Kind: chat.EventHandoff, Contact: customer, Number: inboxNum, At: now, Queue: "sales"},
	}
	if err := inbox.Watch(st, withStates).Commit(ctx, cs, evs); err != nil {
		b.Fatal(err)
	}
	// The replies go to the store itself: the inbox's SLA accounting needs an engine.
	if cs, err = st.Load(ctx, customer); err != nil {
		b.Fatal(err)
	}
	evs = nil
	for i := range 100 {
		evs = append(evs, chat.Event{Kind: chat.EventAgent, Contact: customer, Number: inboxNum, At: now, Detail: "sara",
			Outbound: &chat.Outbound{To: customer, From: inboxNum, Kind: chat.KindText, Text: "رد رقم " + strconv.Itoa(i)}})
	}
	if err := st.Commit(ctx, cs, evs); err != nil {
		b.Fatal(err)
	}
	sendOutbox(b, st)
	without, err := inbox.New(inbox.Options{Config: cfg, Redis: client, Engine: engineRef{}, History: historyOnly{st}})
	if err != nil {
		b.Fatal(err)
	}
	sara, _ := cfg.Agent("sara")
	for _, bc := range []struct {
		name string
		ib   *inbox.Inbox
	}{{"with_states", withStates}, {"without_states", without}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				got, _, err := bc.ib.Thread(ctx, sara, customer)
				if err != nil || len(got) != 102 {
					b.Fatalf("thread of %d events: %v", len(got), err)
				}
			}
		})
	}
}
