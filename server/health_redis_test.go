package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wasla/wasla/internal/redistest"
)

// TestReadyzWhenRedisRefusesWrites runs the readiness check against a real redis-server
// that answers PING but refuses writes: out of memory (maxmemory 1, noeviction) and a
// read-only replica (REPLICAOF a port nobody listens on).
func TestReadyzWhenRedisRefusesWrites(t *testing.T) {
	rs := redistest.Start(t)
	if rs == nil {
		return
	}
	client := rs.Client(t)
	r := newRig(t, func(d *Deps) { d.Redis = redisPinger{client} })
	ctx := context.Background()
	ready := func(t *testing.T, want int) {
		t.Helper()
		code, body := r.get(t, "/readyz")
		if code != want {
			t.Errorf("/readyz = %d %q, want %d", code, body, want)
		}
		if want != http.StatusOK && !strings.Contains(body, "refusing writes") {
			t.Errorf("/readyz body %q does not say why", body)
		}
	}
	ready(t, http.StatusOK)
	for _, tc := range []struct {
		name       string
		refuse, ok [][]any
	}{
		{"out of memory",
			[][]any{{"config", "set", "maxmemory-policy", "noeviction"}, {"config", "set", "maxmemory", "1"}},
			[][]any{{"config", "set", "maxmemory", "0"}}},
		{"read-only replica",
			[][]any{{"replicaof", "127.0.0.1", "1"}},
			[][]any{{"replicaof", "no", "one"}}},
		{"too few replicas",
			[][]any{{"config", "set", "min-replicas-to-write", "1"}},
			[][]any{{"config", "set", "min-replicas-to-write", "0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range tc.refuse {
				if err := client.Do(ctx, c...).Err(); err != nil {
					t.Fatalf("%v: %v", c, err)
				}
			}
			if err := client.Ping(ctx).Err(); err != nil {
				t.Fatalf("PING fails (%v): the case must be a Redis that answers", err)
			}
			ready(t, http.StatusServiceUnavailable)
			for _, c := range tc.ok {
				if err := client.Do(ctx, c...).Err(); err != nil {
					t.Fatalf("%v: %v", c, err)
				}
			}
			ready(t, http.StatusOK)
		})
	}
}
