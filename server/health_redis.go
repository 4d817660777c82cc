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

// StreamNodeMaxBytes is the stream-node-max-bytes the Redis server should run with. Each
// contact's history is a stream, and Redis gives a new stream node min(this setting,
// 4096) bytes at once: at the default of 4096 an idle contact with a short history costs
// ~5.5 KB, at 512 about 2 KB (docs/redis.md, "Memory").
const StreamNodeMaxBytes = 512

// streamNodeWarning reads the server's stream-node-max-bytes and returns a warning when
// it makes every contact's history preallocate more than StreamNodeMaxBytes; "" when it
// does not or when the server does not let us read its configuration (managed services
// often refuse CONFIG).
func streamNodeWarning(ctx context.Context, c redis.UniversalClient) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cfg, err := c.ConfigGet(ctx, "stream-node-max-bytes").Result()
	if err != nil {
		return ""
	}
	n, err := strconv.Atoi(cfg["stream-node-max-bytes"])
	if err != nil || (n > 0 && n <= StreamNodeMaxBytes) {
		return ""
	}
	return fmt.Sprintf("redis: stream-node-max-bytes is %d: each contact's history then preallocates up to 4 KB; "+
		"set it to %d in redis.conf (or CONFIG SET) to hold about 2 KB per idle contact", n, StreamNodeMaxBytes)
}
