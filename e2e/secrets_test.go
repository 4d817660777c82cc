package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// echoingGraph answers every request with Meta's error JSON whose message and details
// echo the request's headers, Authorization included, as a misbehaving proxy or a debug
// build of an API does.
func echoingGraph(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, fmt.Sprintf(`\"%s\":\"%s\"`, k, strings.Join(v, ",")))
		}
		echo := "{" + strings.Join(hs, ",") + "}"
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"message":"(#100) Invalid parameter; request headers %s","type":"OAuthException","code":100,"error_data":{"messaging_product":"whatsapp","details":"Authorization: %s"},"fbtrace_id":"A1"}}`,
			echo, r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestServeTokenNeverLeaves is issue 9's first point: the Graph API answers every send
// and read receipt with an error that echoes the Authorization header. The access token
// must reach neither the log, nor Redis (history included), nor `wasla history export`,
// nor /metrics.
func TestServeTokenNeverLeaves(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		return
	}
	g := echoingGraph(t)
	p := serve(t, writeConfig(t, rs.URL(), g.URL))
	const contact = "16505550001"
	p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: contact, name: "Eve", id: "wamid.E2E.LEAK1", text: "Hello!"}))

	e := &env{p: p, redisURL: rs.URL()}
	eventually(t, "the failed send in the history", func() bool {
		for _, ev := range e.history(t, contact) {
			if ev.Kind == chat.EventError || ev.Kind == chat.EventRefused {
				return true
			}
		}
		return false
	})
	p.waitLog("failed") // the log names the failure too

	places := map[string]string{"log": p.logs.String()}
	out, err := exec.Command(waslaBin, "history", "export", "--redis", rs.URL(), "--format", "csv").Output()
	if err != nil {
		t.Fatalf("wasla history export: %v", err)
	}
	places["history export"] = string(out)
	places["redis"] = dumpRedis(t, rs.Client(t))
	_, places["/metrics"] = e.metricsText(t)
	if code, _ := p.get("/metrics"); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token = %d, want 401", code)
	}
	if !strings.Contains(places["history export"], "[redacted]") {
		t.Errorf("the history does not show the redacted Graph error:\n%s", places["history export"])
	}
	for where, text := range places {
		if strings.Contains(text, inboxToken) {
			t.Errorf("the access token reached the %s:\n%s", where, grepLines(text, inboxToken))
		}
	}
}

// dumpRedis returns every value of every key, as text.
func dumpRedis(t *testing.T, c redis.UniversalClient) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	iter := c.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		typ, err := c.Type(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		var v any
		switch typ {
		case "string":
			v, err = c.Get(ctx, key).Result()
		case "hash":
			v, err = c.HGetAll(ctx, key).Result()
		case "list":
			v, err = c.LRange(ctx, key, 0, -1).Result()
		case "set":
			v, err = c.SMembers(ctx, key).Result()
		case "zset":
			v, err = c.ZRangeWithScores(ctx, key, 0, -1).Result()
		case "stream":
			v, err = c.XRange(ctx, key, "-", "+").Result()
		}
		if err != nil {
			t.Fatalf("reading %s %s: %v", typ, key, err)
		}
		fmt.Fprintf(&b, "%s %s %v\n", typ, key, v)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
