package numbers

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/internal/redistest"
)

func TestRedisStates(t *testing.T) {
	servers := map[string]func(t *testing.T) redis.UniversalClient{
		"miniredis": func(t *testing.T) redis.UniversalClient {
			mr := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			return c
		},
		"redis-server": func(t *testing.T) redis.UniversalClient {
			s := redistest.Start(t)
			if s == nil {
				t.Skip("no redis-server")
			}
			return s.Client(t)
		},
	}
	for name, open := range servers {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := open(t)
			s := NewRedisStates(c, "wasla")
			if got := s.Key("2001"); got != "wasla:num:2001" {
				t.Errorf("Key = %q", got)
			}
			if data, err := s.Get(ctx, "2001"); data != nil || err != nil {
				t.Fatalf("Get of nothing = %q, %v", data, err)
			}
			store := NewRedisStates(c, "t1")
			r, err := New(testList(), store)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.MarkRestricted(ctx, "2001", "send error 131048"); err != nil {
				t.Fatal(err)
			}
			if n, err := c.Exists(ctx, "t1:num:2001").Result(); err != nil || n != 1 {
				t.Fatalf("key t1:num:2001 exists = %d, %v", n, err)
			}
			if ttl := c.TTL(ctx, "t1:num:2001").Val(); ttl != -1 {
				t.Errorf("TTL = %v, want none", ttl)
			}
			other, err := New(testList(), NewRedisStates(c, "t1"))
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if got := other.State("2001"); got.Status != StatusRestricted || got.Reason != "send error 131048" {
				t.Errorf("other replica sees %+v", got)
			}
		})
	}
}
