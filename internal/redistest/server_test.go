package redistest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartAnswersAndHasNoPersistence(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k = %q, %v; want v", got, err)
	}
	for param, want := range map[string]string{"appendonly": "no", "save": "", "bind": "127.0.0.1"} {
		got, err := c.ConfigGet(ctx, param).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got[param] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", param, got[param], want)
		}
	}
}

func TestTwoServersGetTwoPorts(t *testing.T) {
	a, b := Start(t), Start(t)
	if a.Addr == b.Addr {
		t.Fatalf("both servers on %s", a.Addr)
	}
}

func TestAppendOnlySurvivesKill(t *testing.T) {
	s := Start(t, AppendOnly())
	ctx := context.Background()
	c := s.Client(t)
	for i := range 100 {
		if err := c.RPush(ctx, "log", i).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s.Kill(t)
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING after Kill succeeded; the server still runs")
	}
	s.Restart(t)
	n, err := c.LLen(ctx, "log").Result()
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("after SIGKILL and restart the list has %d entries, want 100", n)
	}
}

func TestStopThenRestartWithoutPersistenceIsEmpty(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	c := s.Client(t)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	s.Stop(t)
	s.Restart(t)
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("EXISTS k after restart = %d, %v; want 0 (persistence is off)", n, err)
	}
}

func TestStartCluster(t *testing.T) {
	cl := StartCluster(t)
	ctx := context.Background()
	c := cl.Client(t)
	// Keys spread over the slots land on every master.
	for i := range 64 {
		if err := c.Set(ctx, fmt.Sprintf("key-%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("master %s holds no key", m.Options().Addr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil || !strings.Contains(info, "cluster_size:3") {
		t.Fatalf("CLUSTER INFO = %q, %v; want cluster_size:3", info, err)
	}
}

// fakeTB records Skip and Fatal instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Skipf(format string, args ...any)  { f.skipped = fmt.Sprintf(format, args...) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

func TestMissingBinarySkipsOrFailsOnCI(t *testing.T) {
	tests := []struct {
		name     string
		ci       string
		wantSkip bool
	}{
		{"developer machine", "", true},
		{"CI", "true", false},
		{"CI set to something else", "1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTB{TB: t}
			getenv := func(k string) string {
				if k == "CI" {
					return tt.ci
				}
				return ""
			}
			_, ok := lookPath(f, getenv, "redis-server-that-does-not-exist")
			if ok {
				t.Fatal("lookPath found a binary that does not exist")
			}
			msg := f.failed
			if tt.wantSkip {
				msg = f.skipped
				if f.failed != "" {
					t.Fatalf("failed (%q), want a skip", f.failed)
				}
			} else if f.skipped != "" {
				t.Fatalf("skipped (%q), want a failure", f.skipped)
			}
			if !strings.Contains(msg, "redis-server-that-does-not-exist not found on PATH") {
				t.Fatalf("message %q does not name the missing binary", msg)
			}
		})
	}
}
