package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/store"
)

const adminToken = "admin-s3cret-token"

// The outbox admin API lists failed replies (contacts redacted), retries one whose window
// is open, refuses with 409 and a sentence one whose window closed, drops, answers 404 for
// unknown ids, and 401 without the admin token, which it never logs.
func TestOutboxAPI(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	st, err := store.New(client, store.Options{Outbox: true})
	if err != nil {
		t.Fatal(err)
	}
	refused := func(string) store.Outcome {
		return store.Outcome{Failed: &store.Failure{Code: 131026, Class: "unreachable", Title: "Message undeliverable"}}
	}
	sendThroughOutbox(t, st, "966501234567", time.Now(), refused, "open window")
	sendThroughOutbox(t, st, "966509876543", time.Now().Add(-25*time.Hour), refused, "closed window")

	logs := &syncbuf.Buffer{}
	r := newRig(t, func(d *Deps) {
		d.OutboxAPI = NewOutboxAPI(st, store.NewIntakeOf(st, store.Options{}), adminToken, testLogger(logs))
		d.Backlog = store.Backlog{Redis: st, Intake: store.NewIntakeOf(st, store.Options{})}
	})
	r.srv.refreshBacklog(t.Context())
	if _, metrics := r.get(t, "/metrics"); !strings.Contains(metrics, "wasla_outbox_failed 2\n") || !strings.Contains(metrics, "wasla_intake_dead_letters 0\n") {
		t.Errorf("metrics lack the backlog:\n%s", grep(metrics, "wasla_outbox_failed\\|dead_letters"))
	}
	call := func(method, path, token string) (int, string) { return r.call(t, method, path, token) }
	for _, tok := range []string{"", "wrong"} {
		if code, _ := call(http.MethodGet, "/api/outbox/failed", tok); code != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", tok, code)
		}
		if code, _ := call(http.MethodPost, "/api/outbox/failed/1.2.3/retry", tok); code != http.StatusUnauthorized {
			t.Errorf("retry with token %q: %d, want 401", tok, code)
		}
	}
	code, body := call(http.MethodGet, "/api/outbox/failed", adminToken)
	var list struct{ Failed []store.FailedSummary }
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Failed) != 2 {
		t.Fatalf("list: %d %s", code, body)
	}
	if strings.Contains(body, "966501234567") {
		t.Errorf("the list shows a whole phone number: %s", body)
	}
	ids := map[string]string{}
	for _, f := range list.Failed {
		ids[f.Preview] = f.ID
		if f.ErrorCode != 131026 || f.ErrorClass != "unreachable" || f.ErrorTitle != "Message undeliverable" {
			t.Errorf("listed %+v without its failure", f)
		}
	}
	steps := []struct {
		method, path string
		want         int
		wantBody     string
	}{
		{http.MethodPost, "/api/outbox/failed/" + ids["open window"] + "/retry", 200, `"state":"queued"`},
		{http.MethodPost, "/api/outbox/failed/" + ids["open window"] + "/retry", 404, "no failed message"},
		{http.MethodPost, "/api/outbox/failed/" + ids["closed window"] + "/retry", 409, "only an approved template can reach them now"},
		{http.MethodPost, "/api/outbox/failed/" + ids["closed window"] + "/drop", 200, `"dropped":true`},
		{http.MethodPost, "/api/outbox/failed/nonsense/drop", 404, "not an id"},
		{http.MethodGet, "/api/outbox/failed", 200, `{"failed":[]}`},
	}
	for _, s := range steps {
		code, body := call(s.method, s.path, adminToken)
		if code != s.want || !strings.Contains(body, s.wantBody) {
			t.Errorf("%s %s: %d %s, want %d with %q", s.method, s.path, code, body, s.want, s.wantBody)
		}
	}
	if n := strings.Count(logs.String(), "failed reply queued again"); n != 1 {
		t.Errorf("logged %d retries, want exactly the one that happened:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), adminToken) {
		t.Error("the admin token reached the log")
	}
}

// Every route is documented in docs/outbox.openapi.yaml, and every documented path is a
// route.
func TestOutboxAPIDocumented(t *testing.T) {
	raw, err := os.ReadFile("../docs/outbox.openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, methods := range doc.Paths {
		for m := range methods {
			documented[strings.ToUpper(m)+" "+path] = true
		}
	}
	for _, r := range OutboxRoutes {
		if !documented[r] {
			t.Errorf("route %s is not in docs/outbox.openapi.yaml", r)
		}
		delete(documented, r)
	}
	for r := range documented {
		t.Errorf("docs/outbox.openapi.yaml documents %s, which is no route", r)
	}
}

// The dead letters under the same API: listed, replayed into the intake once, 401 without
// the admin token.
func TestDeadLetterAPI(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	opts := store.Options{MaxAttempts: 1, Poll: time.Millisecond, RetryBackoff: time.Millisecond}
	st, err := store.New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	q := store.NewIntakeOf(st, opts)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- q.Run(ctx, 1, func(context.Context, *store.Tx, chat.Inbound) error { return errors.New("flow broken") })
	}()
	in := chat.Inbound{ID: "wamid.dead", Contact: "966501234567", Number: "111", Kind: chat.KindText, Text: "أريد إلغاء الطلب", At: time.Now()}
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

	r := newRig(t, func(d *Deps) { d.OutboxAPI = NewOutboxAPI(st, q, adminToken, testLogger(&syncbuf.Buffer{})) })
	if code, _ := r.call(t, http.MethodGet, "/api/intake/dead", ""); code != http.StatusUnauthorized {
		t.Errorf("without token: %d, want 401", code)
	}
	code, body := r.call(t, http.MethodGet, "/api/intake/dead", adminToken)
	var list struct{ Dead []store.DeadSummary }
	if err := json.Unmarshal([]byte(body), &list); code != 200 || err != nil || len(list.Dead) != 1 ||
		list.Dead[0].Contact != "…4567" || list.Dead[0].Preview != "أريد إلغاء الطلب" || list.Dead[0].Error != "flow broken" {
		t.Fatalf("list: %d %s", code, body)
	}
	id := list.Dead[0].ID
	if code, body := r.call(t, http.MethodPost, "/api/intake/dead/"+id+"/replay", adminToken); code != 200 || !strings.Contains(body, `"replayed":true`) {
		t.Fatalf("replay: %d %s", code, body)
	}
	if code, _ := r.call(t, http.MethodPost, "/api/intake/dead/"+id+"/replay", adminToken); code != http.StatusNotFound {
		t.Errorf("replaying twice: %d, want 404", code)
	}
	if n, _ := q.Depth(t.Context()); n != 1 {
		t.Errorf("intake depth %d after the replay, want 1", n)
	}
}
