package store

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store/storetest"
)

// newRedis returns a store over client under a prefix of its own, so stores sharing one
// server see nothing of each other.
func newRedis(t testing.TB, client redis.UniversalClient, n *atomic.Int64, opts Options) *Redis {
	t.Helper()
	opts.Prefix = fmt.Sprintf("test%d", n.Add(1))
	s, err := New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContractMiniredis(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		m := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		s, err := New(c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestContractServer(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return newRedis(t, client, &n, Options{})
	})
}

func TestContractCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	client := cl.Client(t)
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return newRedis(t, client, &n, Options{})
	})
}
