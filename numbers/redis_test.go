package numbers

import (
	"context"
	"testing"

	"github.com/wasla/wasla/internal/redistest"
)

func TestRedisStates(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			c := b.Open(t)
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
