package redistest

import (
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Backend is a Redis a storage test runs on.
type Backend struct {
	Name string
	// Open starts it for t and returns a client closed when t ends.
	Open func(t *testing.T) redis.UniversalClient
}

// Backends are miniredis, fast and always there, and a real redis-server (Start: the test
// is skipped when the binary is missing, and fails then with CI=true), so that a behaviour
// is shown on the server operators run and not only on the test double.
func Backends() []Backend {
	return []Backend{
		{Name: "miniredis", Open: func(t *testing.T) redis.UniversalClient {
			c := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
			t.Cleanup(func() { _ = c.Close() })
			return c
		}},
		{Name: "redis-server", Open: func(t *testing.T) redis.UniversalClient {
			s := Start(t)
			if s == nil {
				t.Skip("redistest: redis-server is not installed")
			}
			return s.Client(t)
		}},
	}
}
