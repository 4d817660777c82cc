package server

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/store"
)

// readyProbeKey is written by every readiness check. It expires at once, so it holds no
// memory for long, and lives under the deployment's prefix.
const readyProbeKey = store.DefaultPrefix + ":readyz"

// redisPinger is the readiness check of a go-redis client: Redis must answer and accept a
// write. PING alone answers on a server that refuses every write (out of memory under
// noeviction, a read-only replica after a failover, min-replicas-to-write unmet), and a
// server that cannot record webhooks must not get them.
type redisPinger struct{ c redis.UniversalClient }

// Ping answers PING and writes the probe key.
func (p redisPinger) Ping(ctx context.Context) error {
	if err := p.c.Ping(ctx).Err(); err != nil {
		return err
	}
	if err := p.c.Set(ctx, readyProbeKey, strconv.FormatInt(time.Now().UnixMilli(), 10), time.Second).Err(); err != nil {
		return fmt.Errorf("redis refuses writes: %w", err)
	}
	return nil
}
