package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// deliveryStores runs a test on miniredis and on a real redis-server.
func deliveryStores(t *testing.T, run func(t *testing.T, s *Redis, clk *clock.Manual)) {
	t.Run("miniredis", func(t *testing.T) {
		s, _, clk := miniStore(t, Options{Outbox: true})
		run(t, s, clk)
	})
	t.Run("redis-server", func(t *testing.T) {
		client := redistest.Start(t).Client(t)
		clk := clock.NewManual(t0)
		s, err := New(client, Options{Outbox: true, Clock: clk, Prefix: "dlv"})
		if err != nil {
			t.Fatal(err)
		}
		run(t, s, clk)
	})
}

// sendAll commits replies for contact id (after an inbound message that opens the window
// on number 111) and runs the outbox until each got its outcome from answer.
func sendAll(t *testing.T, s *Redis, id chat.ContactID, texts []string, answer func(Delivery) Outcome) []Delivery {
	t.Helper()
	if len(texts) > 0 {
		events := []chat.Event{inbound(id, "in-"+string(id), t0)}
		for _, text := range texts {
			events = append(events, reply(id, text))
		}
		st, err := s.Load(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		st.Contact.Windows = map[chat.NumberID]time.Time{"111": t0}
		if err := s.Commit(t.Context(), st, events); err != nil {
			t.Fatal(err)
		}
	}
	o, err := NewOutbox(s, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	rec := deliveries{answer: answer}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx, 1, rec.deliver) }()
	waitFor(t, "the outbox emptied", func() bool { return outboxLen(t, s, id) == 0 && len(rec.all()) >= len(texts) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return rec.all()
}

// exported returns the contact's outbound events as the export shows them, by text.
func exported(t *testing.T, s *Redis, id chat.ContactID) map[string]chat.Event {
	t.Helper()
	out := map[string]chat.Event{}
	err := s.HistoryWithDelivery(t.Context(), id, time.Time{}, time.Time{}, func(ev chat.Event) error {
		if ev.ID == "" {
			t.Errorf("event %+v without entry id", ev)
		}
		if ev.Outbound != nil {
			out[ev.Outbound.Text] = ev
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Each outbound message carries its delivery state: queued in the outbox, sent with the
// wamid from Meta's answer, then moved on by status webhooks whatever their order — never
// back — and failed whenever a failure comes.
func TestDeliveryStatesFollowAnswersAndStatuses(t *testing.T) {
	deliveryStores(t, func(t *testing.T, s *Redis, clk *clock.Manual) {
		ctx := t.Context()
		st := &contact.State{Contact: contact.Contact{ID: "7"}}
		if err := s.Commit(ctx, st, []chat.Event{reply("7", "waiting")}); err != nil {
			t.Fatal(err)
		}
		if got := exported(t, s, "7")["waiting"].Delivery; got == nil || got.State != chat.StateQueued {
			t.Fatalf("a reply in the outbox has delivery %+v, want queued", got)
		}
		wamids := map[string]string{"waiting": "wamid.W", "a": "wamid.A", "b": "wamid.B", "c": "wamid.C"}
		sendAll(t, s, "7", []string{"a", "b", "c"}, func(d Delivery) Outcome {
			return Outcome{Wamid: wamids[d.Message.Text]}
		})
		ev := exported(t, s, "7")
		for text, wamid := range wamids {
			if d := ev[text].Delivery; d == nil || d.State != chat.StateSent || d.Wamid != wamid {
				t.Fatalf("%q has delivery %+v, want sent with %s", text, d, wamid)
			}
		}
		at := t0.Add(time.Minute)
		steps := []struct {
			wamid string
			state chat.DeliveryState
			want  StatusResult
		}{
			{"wamid.A", chat.StateRead, StatusApplied},
			{"wamid.A", chat.StateDelivered, StatusStale}, // late: stays read
			{"wamid.A", chat.StateRead, StatusStale},      // repeated
			{"wamid.B", chat.StateDelivered, StatusApplied},
			{"wamid.B", chat.StateFailed, StatusApplied}, // failed after delivered is failed
			{"wamid.B", chat.StateRead, StatusStale},
			{"wamid.C", chat.StateSent, StatusStale},
			{"wamid.X", chat.StateRead, StatusUnknown}, // not sent through the outbox
		}
		for _, step := range steps {
			d := chat.Delivery{State: step.state, Wamid: step.wamid, Number: "111", At: at}
			if step.state == chat.StateFailed {
				d.ErrorCode, d.ErrorClass, d.ErrorTitle = 131026, "unreachable", "Message undeliverable"
			}
			got, _, err := s.ApplyDelivery(ctx, "7", d)
			if err != nil {
				t.Fatal(err)
			}
			if got != step.want {
				t.Errorf("%s %s: result %d, want %d", step.wamid, step.state, got, step.want)
			}
		}
		ev = exported(t, s, "7")
		want := map[string]chat.DeliveryState{"a": chat.StateRead, "b": chat.StateFailed, "c": chat.StateSent}
		for text, state := range want {
			if d := ev[text].Delivery; d == nil || d.State != state {
				t.Errorf("%q ends %+v, want %s", text, d, state)
			}
		}
		if d := ev["b"].Delivery; d.ErrorCode != 131026 || d.ErrorClass != "unreachable" || d.ErrorTitle != "Message undeliverable" || d.Wamid != "wamid.B" {
			t.Errorf("failed delivery %+v lacks the failure", d)
		}
		var failed []FailedMessage
		if err := s.FailedMessages(ctx, func(f FailedMessage) error { failed = append(failed, f); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(failed) != 1 || failed[0].Message == nil || failed[0].Message.Text != "b" || failed[0].Delivery.ErrorCode != 131026 {
			t.Fatalf("failed messages %+v, want b", failed)
		}
		if n, err := s.FailedCount(ctx); err != nil || n != 1 {
			t.Fatalf("FailedCount = %d, %v; want 1", n, err)
		}
	})
}

// A status that overtakes the sender's record of Meta's answer waits for it and wins.
func TestDeliveryStatusBeforeTheAnswerIsMerged(t *testing.T) {
	deliveryStores(t, func(t *testing.T, s *Redis, _ *clock.Manual) {
		sendAll(t, s, "8", []string{"fast"}, func(d Delivery) Outcome {
			// Meta's webhook arrives while the request is still being answered.
			res, _, err := s.ApplyDelivery(context.Background(), "8", chat.Delivery{State: chat.StateDelivered, Wamid: "wamid.F", At: t0})
			if err != nil || res != StatusWaiting {
				t.Errorf("early status: %d, %v; want it waiting", res, err)
			}
			return Outcome{Wamid: "wamid.F"}
		})
		if d := exported(t, s, "8")["fast"].Delivery; d == nil || d.State != chat.StateDelivered || d.Wamid != "wamid.F" {
			t.Fatalf("delivery %+v, want delivered", d)
		}
		if res, _, _ := s.ApplyDelivery(t.Context(), "8", chat.Delivery{State: chat.StateRead, Wamid: "wamid.F", At: t0}); res != StatusApplied {
			t.Fatalf("read after the merge: %d, want applied", res)
		}
	})
}

// A reply sent twice — the first attempt's answer lost with its process, the second
// recorded — is found by the status webhooks of the first copy, whose callback data names
// the reply: the copy is adopted once (StatusCopy), its statuses move the reply's state,
// and its failure does not fail the reply.
func TestDeliveryStatusOfALostCopyIsAdopted(t *testing.T) {
	deliveryStores(t, func(t *testing.T, s *Redis, _ *clock.Manual) {
		ctx := t.Context()
		var entry string
		sendAll(t, s, "5", []string{"twice"}, func(d Delivery) Outcome {
			entry = d.Entry
			return Outcome{Wamid: "wamid.SECOND"}
		})
		first := chat.Delivery{State: chat.StateDelivered, Wamid: "wamid.FIRST", At: t0}
		if res, _, err := s.ApplyDelivery(ctx, "5", first); err != nil || res != StatusUnknown {
			t.Fatalf("without callback data: %d, %v; want unknown", res, err)
		}
		if res, got, err := s.ApplyReplyDelivery(ctx, "5", first, entry, 1); err != nil || res != StatusCopy || got != entry {
			t.Fatalf("the first copy's status: %d %q, %v; want a copy of %s", res, got, err, entry)
		}
		if res, _, _ := s.ApplyReplyDelivery(ctx, "5", first, entry, 1); res != StatusStale {
			t.Fatalf("the same status again: %d, want stale (adopted once)", res)
		}
		if d := exported(t, s, "5")["twice"].Delivery; d == nil || d.State != chat.StateDelivered || d.Wamid != "wamid.SECOND" {
			t.Fatalf("delivery %+v, want delivered, with the recorded wamid", d)
		}
		if res, _, _ := s.ApplyDelivery(ctx, "5", chat.Delivery{State: chat.StateRead, Wamid: "wamid.FIRST", At: t0}); res != StatusApplied {
			t.Fatalf("the copy's read status without callback data: %d, want applied (its wamid is known now)", res)
		}
		failed := chat.Delivery{State: chat.StateFailed, Wamid: "wamid.THIRD", At: t0, ErrorCode: 131026}
		if res, _, _ := s.ApplyReplyDelivery(ctx, "5", failed, entry, 1); res != StatusCopy {
			t.Fatalf("a failed copy: %d, want a copy", res)
		}
		if d := exported(t, s, "5")["twice"].Delivery; d == nil || d.State != chat.StateRead {
			t.Fatalf("delivery %+v, want read: a failed copy does not fail the reply", d)
		}
		if n, _ := s.FailedCount(ctx); n != 0 {
			t.Fatalf("%d failed messages listed, want none", n)
		}
		// A reply not yet recorded: its copy's status waits like any early status.
		sendAll(t, s, "6", []string{"pending"}, func(d Delivery) Outcome {
			if res, _, _ := s.ApplyReplyDelivery(ctx, "6", first, d.Entry, 9); res != StatusWaiting {
				t.Errorf("a copy's status before any record: %d, want waiting", res)
			}
			return Outcome{Wamid: "wamid.P"}
		})
	})
}

// A message the sender gave up is failed, listed, and can be retried — through the
// outbox, under the same entry — or dropped; a free-form message is refused once the
// customer's window has closed, a template is not.
func TestFailedMessagesRetryAndDrop(t *testing.T) {
	deliveryStores(t, func(t *testing.T, s *Redis, clk *clock.Manual) {
		ctx := t.Context()
		sendAll(t, s, "9", []string{"one", "two", "three"}, func(d Delivery) Outcome {
			if d.Message.Text == "two" {
				return Outcome{Wamid: "wamid.2"}
			}
			return Outcome{Failed: &Failure{Code: 131000, Class: "other", Title: "Something went wrong"}}
		})
		var failed []FailedMessage
		list := func() {
			failed = nil
			if err := s.FailedMessages(ctx, func(f FailedMessage) error { failed = append(failed, f); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		list()
		if len(failed) != 2 {
			t.Fatalf("%d failed messages, want 2", len(failed))
		}
		for _, f := range failed {
			if f.Contact != "9" || f.Delivery.State != chat.StateFailed || f.Delivery.ErrorCode != 131000 ||
				f.Delivery.ErrorTitle != "Something went wrong" || !strings.Contains(f.ID, "."+f.Entry+".") {
				t.Errorf("failed message %+v", f)
			}
		}
		one, three := failed[0], failed[1]
		if one.Message.Text != "one" {
			one, three = three, one
		}
		if _, err := s.RetryFailed(ctx, "1.2.3"); !errors.Is(err, ErrNoFailed) {
			t.Errorf("retrying a wrong id: %v, want ErrNoFailed", err)
		}
		if _, err := s.RetryFailed(ctx, one.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RetryFailed(ctx, one.ID); !errors.Is(err, ErrNoFailed) {
			t.Errorf("retrying twice: %v, want ErrNoFailed", err)
		}
		if d := exported(t, s, "9")["one"].Delivery; d == nil || d.State != chat.StateQueued {
			t.Fatalf("retried message has %+v, want queued", d)
		}
		got := sendAll(t, s, "9", nil, func(Delivery) Outcome { return Outcome{Wamid: "wamid.1b"} })
		if len(got) != 1 || got[0].Message.Text != "one" || got[0].Entry != one.Entry {
			t.Fatalf("the retry sent %+v, want one under entry %s", got, one.Entry)
		}
		if d := exported(t, s, "9")["one"].Delivery; d == nil || d.State != chat.StateSent || d.Wamid != "wamid.1b" {
			t.Fatalf("retried message ends %+v, want sent", d)
		}
		// The window closes: "three" is free text and stays failed.
		clk.Set(t0.Add(chat.ServiceWindow + time.Minute))
		if _, err := s.RetryFailed(ctx, three.ID); !errors.Is(err, ErrWindowClosed) || !strings.Contains(err.Error(), "template") {
			t.Fatalf("retry after the window: %v, want ErrWindowClosed saying a template is needed", err)
		}
		if _, err := s.DropFailed(ctx, three.ID); err != nil {
			t.Fatal(err)
		}
		list()
		if len(failed) != 0 {
			t.Fatalf("after retry and drop %d failed messages are left", len(failed))
		}
		if d := exported(t, s, "9")["three"].Delivery; d == nil || d.State != chat.StateFailed {
			t.Fatalf("a dropped message's history says %+v, want failed", d)
		}
		if _, err := s.DropFailed(ctx, three.ID); !errors.Is(err, ErrNoFailed) {
			t.Errorf("dropping twice: %v, want ErrNoFailed", err)
		}
	})
}

// A template may be retried after the window closed.
func TestFailedTemplateRetriesOutsideTheWindow(t *testing.T) {
	s, _, clk := miniStore(t, Options{Outbox: true})
	ctx := t.Context()
	ev := reply("5", "")
	ev.Outbound.Kind, ev.Outbound.Template = chat.KindTemplate, &chat.Template{Name: "hello", Language: "ar"}
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "5"}}, []chat.Event{ev}); err != nil {
		t.Fatal(err)
	}
	sendAll(t, s, "5", []string{"first"}, func(Delivery) Outcome { return Outcome{Failed: &Failure{Code: 132001, Class: "template"}} })
	clk.Set(t0.Add(48 * time.Hour))
	var tmpl, text string
	_ = s.FailedMessages(ctx, func(f FailedMessage) error {
		if f.Message.Kind == chat.KindTemplate {
			tmpl = f.ID
		} else {
			text = f.ID
		}
		return nil
	})
	if _, err := s.RetryFailed(ctx, tmpl); err != nil {
		t.Fatalf("retrying a template outside the window: %v", err)
	}
	if _, err := s.RetryFailed(ctx, text); !errors.Is(err, ErrWindowClosed) {
		t.Fatalf("retrying text outside the window: %v, want ErrWindowClosed", err)
	}
}

// Applying a status webhook is one round trip.
func TestDeliveryStatusRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	s, err := New(client, Options{Prefix: "rt", Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	sendAll(t, s, "4", []string{"x"}, func(Delivery) Outcome { return Outcome{Wamid: "wamid.X"} })
	// Warm up: the script gets cached.
	if _, _, err := s.ApplyDelivery(t.Context(), "4", chat.Delivery{State: chat.StateSent, Wamid: "wamid.X"}); err != nil {
		t.Fatal(err)
	}
	var counter roundTrips
	client.AddHook(&counter)
	for _, state := range []chat.DeliveryState{chat.StateDelivered, chat.StateRead} {
		counter.reset()
		if _, _, err := s.ApplyDelivery(t.Context(), "4", chat.Delivery{State: state, Wamid: "wamid.X"}); err != nil {
			t.Fatal(err)
		}
		if n := counter.get(); n != 1 {
			t.Errorf("%s status: %d round trips, want 1", state, n)
		}
	}
	var _ redis.Hook = &counter
}

// With Meta's longest wamids (64 characters, 12-digit phone numbers) the delivery hash
// stays a listpack: each field and value within hash-max-listpack-value.
func TestDeliveryHashStaysCompact(t *testing.T) {
	client := redistest.Start(t).Client(t)
	s, err := New(client, Options{Prefix: "compact", Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sendAll(t, s, "966501234567", []string{"a", "b", "c", "d", "e"}, func(Delivery) Outcome {
		n++
		return Outcome{Wamid: fmt.Sprintf("wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSQUE4RjlCNzE0QkM3QjA4%06dAA==", n)}
	})
	if _, _, err := s.ApplyDelivery(t.Context(), "966501234567", chat.Delivery{State: chat.StateRead,
		Wamid: "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSQUE4RjlCNzE0QkM3QjA4" + "000001AA==", At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	enc, err := client.ObjectEncoding(t.Context(), s.deliveryKey("966501234567")).Result()
	if err != nil || enc != "listpack" {
		t.Fatalf("delivery hash encoding %q (%v), want listpack", enc, err)
	}
	states, err := s.DeliveryStates(t.Context(), "966501234567")
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, d := range states {
		if len(d.Wamid) != 64 || !strings.HasPrefix(d.Wamid, "wamid.") {
			t.Errorf("state %+v lost its wamid", d)
		}
		if d.State == chat.StateRead {
			read++
		}
	}
	if len(states) != 5 || read != 1 {
		t.Fatalf("states %+v, want 5 with one read", states)
	}
}
