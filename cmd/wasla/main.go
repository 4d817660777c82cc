// Command wasla checks, simulates, tests and serves WhatsApp conversation flows written in
// YAML. Run `wasla help` for the commands; the work is done by internal/cli.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/internal/cli"
)

func main() {
	// go-redis logs its own retries to stderr; the errors they end in reach the user
	// through our wrapped errors already, so its lines go to debug logging.
	redis.SetLogger(goRedisLog{})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type goRedisLog struct{}

func (goRedisLog) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, fmt.Sprintf(format, v...), slog.String("source", "go-redis"))
}
