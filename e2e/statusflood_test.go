package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

// statusFlood is one POST with n failed statuses of messages sent to one recipient.
func statusFlood(t *testing.T, n int, recipient string, at time.Time) []byte {
	t.Helper()
	root := decode(t, statusWebhook(t, inboxID, inboxDisplay, recipient, "wamid.FLOOD0", "failed", at))
	v := value(root)
	proto := v["statuses"].([]any)[0].(map[string]any)
	list := make([]any, n)
	for i := range list {
		st := map[string]any{}
		for k, x := range proto {
			st[k] = x
		}
		st["id"] = fmt.Sprintf("wamid.FLOOD%d", i)
		st["timestamp"] = strconv.FormatInt(at.Unix()-int64(i), 10) // newest first: each older than the one before
		list[i] = st
	}
	v["statuses"] = list
	return encode(t, root)
}

// TestServeStatusFlood is issue 9's fifth point: 1,000 failed statuses in one POST are
// answered well under a second (they took 21.9 s), and all of them reach the history.
func TestServeStatusFlood(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	const recipient, n = "16505550002", 1000
	body := statusFlood(t, n, recipient, time.Now().Add(-time.Hour))
	begin := time.Now()
	code := e.p.post(body)
	took := time.Since(begin)
	t.Logf("1,000 failed statuses in one POST answered %d in %v", code, took)
	if code != http.StatusOK {
		t.Fatalf("answer %d, want 200", code)
	}
	if took > time.Second {
		t.Errorf("answered in %v, want under a second", took)
	}
	eventually(t, "every failed status in the history", func() bool {
		k := 0
		for _, ev := range e.history(t, recipient) {
			if ev.Kind == chat.EventStatus {
				k++
			}
		}
		return k == n
	})
	// Meta delivers again: nothing is recorded twice.
	e.p.mustPost(body)
	e.p.waitLog("statuses applied")
	k := 0
	for _, ev := range e.history(t, recipient) {
		if ev.Kind == chat.EventStatus {
			k++
		}
	}
	if k != n {
		t.Errorf("%d status events after a repeated delivery, want %d", k, n)
	}
}
