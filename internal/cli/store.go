package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/store"
)

// embeddedNotice is the one line a command prints when it runs on the embedded store, so
// nobody believes their conversations were kept.
const embeddedNotice = "wasla: no --redis given; using an embedded in-memory store (nothing is kept after exit)"

// openStore returns the store at redisURL, or an embedded one (saying so on notice) when
// the URL is empty. clk measures session expiry. The caller calls closeFn.
func openStore(ctx context.Context, redisURL string, clk clock.Clock, notice io.Writer) (engine.Store, func(), error) {
	var closeFn func()
	if redisURL == "" {
		client, stop, err := store.Embedded(ctx)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintln(notice, embeddedNotice)
		closeFn = stop
		st, err := store.New(client, store.Options{Clock: clk})
		if err != nil {
			stop()
			return nil, nil, err
		}
		return st, closeFn, nil
	}
	client, err := store.Open(ctx, redisURL)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.New(client, store.Options{Clock: clk})
	if err != nil {
		_ = client.Close()
		return nil, nil, err
	}
	return st, func() { _ = client.Close() }, nil
}

// deploymentRedis is the --redis default of the commands that act on a running
// deployment: $WASLA_REDIS_URL, the variable wasla.example.yaml reads, else $WASLA_REDIS.
func deploymentRedis() string {
	if u := os.Getenv("WASLA_REDIS_URL"); u != "" {
		return u
	}
	return os.Getenv("WASLA_REDIS")
}
