package server

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/store"
)

// outboxStore is a store on miniredis whose outbox sent each of texts to contact id with
// the wamid wamids[text].
func outboxStore(t *testing.T, id chat.ContactID, wamids map[string]string, texts ...string) *store.Redis {
	t.Helper()
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	st, err := store.New(client, store.Options{Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	sendThroughOutbox(t, st, id, time.Now(), func(text string) store.Outcome { return store.Outcome{Wamid: wamids[text]} }, texts...)
	return st
}

// sendThroughOutbox commits texts as replies to contact id, whose window opened at window,
// and runs the outbox until each got its outcome from answer and it was recorded.
func sendThroughOutbox(t *testing.T, st *store.Redis, id chat.ContactID, window time.Time, answer func(string) store.Outcome, texts ...string) {
	t.Helper()
	var events []chat.Event
	for _, text := range texts {
		events = append(events, chat.Event{Kind: chat.EventOutbound, Contact: id, At: time.Now(),
			Outbound: &chat.Outbound{To: id, From: "106540352242922", Kind: chat.KindText, Text: text}})
	}
	cs := &contact.State{Contact: contact.Contact{ID: id, Windows: map[chat.NumberID]time.Time{"106540352242922": window}}}
	if err := st.Commit(t.Context(), cs, events); err != nil {
		t.Fatal(err)
	}
	o, err := store.NewOutbox(st, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	sent := make(chan string, len(texts))
	go func() {
		done <- o.Run(ctx, 1, func(_ context.Context, d store.Delivery) store.Outcome {
			sent <- d.Message.Text
			return answer(d.Message.Text)
		})
	}()
	for range texts {
		select {
		case <-sent:
		case <-time.After(10 * time.Second):
			t.Fatal("the outbox did not send")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		states, err := st.DeliveryStates(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if doneAll(states, len(texts)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("states %+v: not all sent", states)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// doneAll reports whether n states are past queued.
func doneAll(states map[string]chat.Delivery, n int) bool {
	done := 0
	for _, d := range states {
		if d.State != chat.StateQueued {
			done++
		}
	}
	return done == n
}

func statesByWamid(t *testing.T, st *store.Redis, id chat.ContactID) map[string]chat.Delivery {
	t.Helper()
	states, err := st.DeliveryStates(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]chat.Delivery{}
	for _, d := range states {
		out[d.Wamid] = d
	}
	return out
}

// observedDeliveries records what a DeliveryObserver hears, as "contact entry state [code]".
type observedDeliveries struct {
	mu   sync.Mutex
	seen []string
}

func (o *observedDeliveries) DeliveryChanged(_ context.Context, id chat.ContactID, entry string, d chat.Delivery) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := string(id) + " " + entry + " " + string(d.State)
	if d.ErrorCode != 0 {
		s += " " + strconv.Itoa(d.ErrorCode)
	}
	o.seen = append(o.seen, s)
	return nil
}

func (o *observedDeliveries) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.seen)
}

// Status webhooks move the reply's delivery state forward whatever their order: Meta's
// sample posts read before delivered, and the reply stays read. A failed status fails the
// reply, lists it and counts it by number and class, once however often it comes.
func TestStatusWebhooksMoveDeliveryStates(t *testing.T) {
	const (
		readWamid   = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NzVFRkQwMzlBNEE0MkFBNDQA"
		failedWamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBIyRkQ5Qjc5NkU3RDk2MDNFMzIA"
	)
	st := outboxStore(t, "16505551234", map[string]string{"hello": readWamid, "bye": failedWamid}, "hello", "bye")
	obs := &observedDeliveries{}
	r := newRig(t, func(d *Deps) { d.Deliveries, d.DeliveryObserver = st, obs })
	for _, name := range []string{"status_delivered_read.json", "status_failed.json", "status_failed.json", "status_sent.json"} {
		body := sample(t, name)
		if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
			t.Fatalf("POST %s = %d", name, code)
		}
		r.srv.drainStatuses(t.Context())
	}
	got := statesByWamid(t, st, "16505551234")
	if d := got[readWamid]; d.State != chat.StateRead {
		t.Errorf("read then delivered left %+v, want read", d)
	}
	if d := got[failedWamid]; d.State != chat.StateFailed || d.ErrorCode != 131047 || d.ErrorClass != "window_closed" || d.ErrorTitle == "" {
		t.Errorf("failed status left %+v, want failed 131047", d)
	}
	// The observer hears of the two states that moved, named by the replies' history
	// entries; the stale delivered, the repeated failure and the other recipient's are not
	// news.
	entries := map[string]string{}
	err := st.HistoryWithDelivery(t.Context(), "16505551234", time.Time{}, time.Time{}, func(ev chat.Event) error {
		entries[ev.Outbound.Text] = ev.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"16505551234 " + entries["hello"] + " read", "16505551234 " + entries["bye"] + " failed 131047"}
	if got := obs.all(); !slices.Equal(got, want) {
		t.Errorf("the observer heard %q, want %q", got, want)
	}
	n, err := st.FailedCount(t.Context())
	if err != nil || n != 1 {
		t.Errorf("failed list holds %d (%v), want 1", n, err)
	}
	_, metrics := r.get(t, "/metrics")
	for _, want := range []string{
		`wasla_outbox_failed_total{class="window_closed",number="106540352242922"} 1`,
		`wasla_delivery_states_total{result="applied",state="read"} 1`,
		`wasla_delivery_states_total{result="stale",state="delivered"} 1`,
		`wasla_delivery_states_total{result="unknown",state="failed"} 2`, // the other recipient's
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(metrics, "wasla_delivery_states\\|wasla_outbox_failed"))
		}
	}
	if strings.Contains(metrics, `state="sent"`) {
		t.Errorf("a campaign's status (with callback data) reached the delivery states:\n%s", grep(metrics, "delivery_states"))
	}

	// Meta's sent status of a reply finds the outbox's own record, stale, yet the observer
	// hears of it: it is the first news of the send it gets.
	body := []byte(strings.Replace(string(sample(t, "status_sent.json")), `"biz_opaque_callback_data": "campaign=spring-sale;run=42",`, "", 1))
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Fatalf("POST a reply's sent status = %d", code)
	}
	r.srv.drainStatuses(t.Context())
	if got := obs.all(); len(got) != 3 || got[2] != "16505551234 "+entries["hello"]+" sent" {
		t.Errorf("after a reply's sent status the observer heard %q", got)
	}
}

// A reply sent twice — its first attempt's answer lost with the process, the second
// recorded — is found by the first copy's status webhooks, whose callback data names the
// reply: counted once as a duplicate, logged, and its statuses move the reply's state.
func TestStatusOfALostCopyCountsADuplicate(t *testing.T) {
	const recorded, lost = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJSRUNPUkRFRAA", "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJMT1NUQ09QWQA"
	st := outboxStore(t, "16505551234", map[string]string{"hello": recorded}, "hello")
	var entry string
	err := st.HistoryWithDelivery(t.Context(), "16505551234", time.Time{}, time.Time{}, func(ev chat.Event) error {
		entry = ev.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	obs := &observedDeliveries{}
	r := newRig(t, func(d *Deps) { d.Deliveries, d.DeliveryObserver = st, obs })
	status := func(state string) []byte {
		s := strings.Replace(string(sample(t, "status_sent.json")), `"campaign=spring-sale;run=42"`, strconv.Quote(store.ReplyCallback(entry, 1)), 1)
		s = strings.Replace(s, `"status": "sent"`, strconv.Quote("status")+": "+strconv.Quote(state), 1)
		return []byte(strings.ReplaceAll(s, "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NzVFRkQwMzlBNEE0MkFBNDQA", lost))
	}
	for _, state := range []string{"sent", "delivered", "delivered"} {
		body := status(state)
		if !strings.Contains(string(body), lost) || !strings.Contains(string(body), `"status": "`+state+`"`) {
			t.Fatalf("the sample did not take the lost copy's wamid and state %s:\n%s", state, body)
		}
		if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
			t.Fatalf("POST %s = %d", state, code)
		}
		r.srv.drainStatuses(t.Context())
	}
	_, metrics := r.get(t, "/metrics")
	for _, want := range []string{
		`wasla_outbox_duplicates_total{number="106540352242922"} 1`,
		`wasla_delivery_states_total{result="copy",state="sent"} 1`,
		`wasla_delivery_states_total{result="applied",state="delivered"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(metrics, "wasla_delivery_states\\|wasla_outbox_duplicates"))
		}
	}
	if d := statesByWamid(t, st, "16505551234")[recorded]; d.State != chat.StateDelivered {
		t.Errorf("the reply is %+v, want delivered (by its copy)", d)
	}
	if !strings.Contains(r.logs.String(), "a reply reached Meta twice") || !strings.Contains(r.logs.String(), entry) {
		t.Errorf("no log line names the reply sent twice:\n%s", r.logs.String())
	}
}
