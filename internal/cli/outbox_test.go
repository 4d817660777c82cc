package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/store"
)

// seedDeliveries builds, on a fresh miniredis, two contacts whose replies went through the
// outbox and ended in every delivery state, and returns its redis:// URL. Contact
// 966501234567's window is open now (it wrote a minute ago by the wall clock); contact
// 966509876543's closed long ago.
func seedDeliveries(t *testing.T) string {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	clk := clock.NewManual(histBase)
	s, err := store.New(c, store.Options{Outbox: true, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	commit := func(id chat.ContactID, window time.Time, texts ...string) {
		st, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st.Contact.Windows = map[chat.NumberID]time.Time{"111": window}
		evs := []chat.Event{{Kind: chat.EventInbound, Number: "111", At: histBase,
			Inbound: &chat.Inbound{ID: "wamid.in." + string(id), Contact: id, Number: "111", Kind: chat.KindText, Text: "سلام", At: histBase}}}
		for i, text := range texts {
			out := &chat.Outbound{To: id, From: "111", Kind: chat.KindText, Text: text}
			if text == "" {
				out.Kind, out.Template = chat.KindTemplate, &chat.Template{Name: "order_update", Language: "ar"}
			}
			evs = append(evs, chat.Event{Kind: chat.EventOutbound, Number: "111", At: histBase.Add(time.Duration(i+1) * time.Second), Outbound: out, Flow: "main", Step: "say"})
		}
		if err := s.Commit(ctx, st, evs); err != nil {
			t.Fatal(err)
		}
	}
	commit("966501234567", time.Now().Add(-time.Minute),
		"مرحبا، كيف أساعدك؟", "Your order #1234 has shipped", "Reply that Meta refused", "")
	commit("966509876543", histBase, "عرض خاص لك اليوم فقط: خصم ٢٠٪ على كل الطلبات عند الدفع ببطاقة مدى")
	answers := map[string]store.Outcome{
		"مرحبا، كيف أساعدك؟":           {Wamid: "wamid.A"},
		"Your order #1234 has shipped": {Wamid: "wamid.B"},
		"Reply that Meta refused":      {Failed: &store.Failure{Code: 131026, Class: "unreachable", Title: "Message undeliverable"}},
		"":                             {RetryAt: histBase.Add(time.Hour)}, // stays queued
		"عرض خاص لك اليوم فقط: خصم ٢٠٪ على كل الطلبات عند الدفع ببطاقة مدى": {Wamid: "wamid.C"},
	}
	o, err := store.NewOutbox(s, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	attempts := make(chan struct{}, 16)
	go func() {
		done <- o.Run(runCtx, 1, func(_ context.Context, d store.Delivery) store.Outcome {
			// Each outcome at its own time, whatever order the contacts are sent in.
			clk.Set(histBase.Add(time.Duration(len(d.Message.Text)) * time.Second))
			attempts <- struct{}{}
			return answers[d.Message.Text]
		})
	}()
	for range len(answers) {
		select {
		case <-attempts:
		case <-time.After(10 * time.Second):
			t.Fatal("the outbox did not send everything")
		}
	}
	// The outcomes are recorded after the attempts returned.
	deadline := time.Now().Add(10 * time.Second)
	for recorded := 0; recorded < len(answers)-1; {
		recorded = 0
		for _, id := range []chat.ContactID{"966501234567", "966509876543"} {
			states, err := s.DeliveryStates(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range states {
				if d.State != chat.StateQueued {
					recorded++
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the outcomes were not recorded")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	clk.Set(histBase.Add(time.Hour))
	for _, st := range []struct {
		id    chat.ContactID
		wamid string
		state chat.DeliveryState
	}{
		{"966501234567", "wamid.A", chat.StateRead},
		{"966501234567", "wamid.A", chat.StateDelivered}, // late: stays read
		{"966501234567", "wamid.B", chat.StateDelivered},
		{"966509876543", "wamid.C", chat.StateFailed},
	} {
		d := chat.Delivery{State: st.state, Wamid: st.wamid, Number: "111", At: histBase.Add(time.Hour)}
		if st.state == chat.StateFailed {
			d.ErrorCode, d.ErrorClass, d.ErrorTitle = 131049, "unreachable", "This message was not delivered to maintain healthy ecosystem engagement."
		}
		if _, _, err := s.ApplyDelivery(ctx, st.id, d); err != nil {
			t.Fatal(err)
		}
	}
	return "redis://" + m.Addr()
}

// Export, list and act on failed replies through the command line; the export and the
// listings match golden files.
func TestOutboxCommands(t *testing.T) {
	t.Setenv("WASLA_REDIS", "")
	t.Setenv("WASLA_REDIS_URL", "")
	url := seedDeliveries(t)
	check := func(name string, wantCode int, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(args...)
		if code != wantCode {
			t.Fatalf("wasla %s: exit %d, want %d; stderr %s", strings.Join(args, " "), code, wantCode, errOut)
		}
		if name != "" {
			golden(t, "testdata/golden/"+name, out)
		}
		return out + errOut
	}
	check("history_export_delivery.jsonl", exitOK, "history", "export", "--redis", url)
	check("history_export_delivery.csv", exitOK, "history", "export", "--redis", url, "--format", "csv")
	check("outbox_failed.txt", exitOK, "outbox", "failed", "--redis", url)
	out := check("outbox_failed.jsonl", exitOK, "outbox", "failed", "--redis", url, "--json")
	if strings.Contains(out, "966501234567") || strings.Contains(out, "966509876543") {
		t.Errorf("the listing shows whole phone numbers:\n%s", out)
	}
	if out := check("", exitOK, "outbox", "failed", "--redis", url, "--json", "--show-contacts"); !strings.Contains(out, `"contact":"966501234567"`) {
		t.Errorf("--show-contacts hides the contact:\n%s", out)
	}

	open := store.FailedID("966501234567", "1772352003000-0")
	closed := store.FailedID("966509876543", "1772352001000-0")
	if out := check("", exitFail, "outbox", "retry", "--redis", url, "--all"); !strings.Contains(out, open+" queued again") ||
		!strings.Contains(out, closed+": the customer's 24-hour window has closed") || !strings.Contains(out, "1 of 2 queued again") {
		t.Errorf("retry --all said:\n%s", out)
	}
	if out := check("", exitFail, "outbox", "retry", "--redis", url, open); !strings.Contains(out, "no failed message with this id") {
		t.Errorf("retrying twice said:\n%s", out)
	}
	check("", exitOK, "outbox", "drop", "--redis", url, closed)
	if out := check("", exitOK, "outbox", "failed", "--redis", url); !strings.Contains(out, "no failed replies") {
		t.Errorf("after retry and drop the list says:\n%s", out)
	}
	// With nothing failed, --all says it did nothing rather than nothing at all.
	if out := check("", exitOK, "outbox", "retry", "--redis", url, "--all"); !strings.Contains(out, "0 of 0 queued again") {
		t.Errorf("retry --all on an empty list said %q", out)
	}
	check("", exitUsage, "outbox", "retry", "--redis", url)
	check("", exitUsage, "outbox", "drop", "--redis", url, "--all")
	check("", exitUsage, "outbox", "failed")
	check("", exitUsage, "outbox", "resend", "--redis", url)
}

// Dead letters: listed, replayed and dropped from the command line.
func TestIntakeCommands(t *testing.T) {
	m := miniredis.RunT(t)
	url := "redis://" + m.Addr()
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	q := store.NewIntake(c, store.Options{MaxAttempts: 1, Poll: time.Millisecond, RetryBackoff: time.Millisecond})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- q.Run(ctx, 1, func(context.Context, *store.Tx, chat.Inbound) error { return context.DeadlineExceeded })
	}()
	in := chat.Inbound{ID: "wamid.dead", Contact: "966501234567", Number: "111", Kind: chat.KindText, Text: "أريد إلغاء الطلب", At: histBase}
	if err := q.Push(t.Context(), []chat.Inbound{in}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for n, _ := q.DeadCount(t.Context()); n != 1; n, _ = q.DeadCount(t.Context()) {
		if time.Now().After(deadline) {
			t.Fatal("no dead letter")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	code, out, errOut := runCLI("intake", "dead", "--redis", url, "--json")
	if code != exitOK || !strings.Contains(out, `"contact":"…4567"`) || !strings.Contains(out, "أريد إلغاء الطلب") || !strings.Contains(out, `"message":"wamid.dead"`) {
		t.Fatalf("intake dead: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI("intake", "replay", "--redis", url, "--all")
	if code != exitOK || !strings.Contains(out, "queued again") {
		t.Fatalf("intake replay: %d\n%s%s", code, out, errOut)
	}
	if n, _ := q.DeadCount(t.Context()); n != 0 {
		t.Fatalf("%d dead letters after the replay", n)
	}
	if d, _ := q.Depth(t.Context()); d != 1 {
		t.Fatalf("intake depth %d after the replay, want 1", d)
	}
}
