package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/inbox"
	"github.com/wasla/wasla/redact"
	"github.com/wasla/wasla/server"
)

const serveAbout = `
Runs the WhatsApp webhook server described by the configuration file (see docs/config.md
and wasla.example.yaml): it answers Meta's webhooks at /webhook, runs the flows for every
inbound message, and serves /healthz, /readyz and /metrics.

A configuration or flow problem stops start-up with file:line:col: message. SIGHUP reloads
the flows (so does a change to a flow file); a reload with any error keeps the running flows.
SIGINT or SIGTERM shuts down gracefully: requests and messages in flight are finished.`

func runServe(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("serve", "--config FILE", serveAbout, s)
	configPath := fs.String("config", "wasla.yaml", "the configuration `file`")
	rest, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(s.Err, "wasla serve: unexpected argument %q\n", rest[0])
		fs.Usage()
		return exitUsage
	}
	cfg, ok := loadConfig("serve", *configPath, s.Err)
	if !ok {
		return exitFail
	}
	log := slog.New(redact.NewHandler(newLogger(s.Err, cfg.Log).Handler(), configSecrets(cfg)...))
	log.Info("starting", slog.Int("pid", os.Getpid()), slog.Any("config", cfg))
	// SIGHUP reloads the flows once the server runs; caught from here on, so that one sent
	// during start-up does not end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	srv, closeFn, err := server.Build(ctx, cfg, server.BuildOptions{Logger: log})
	if err != nil {
		var fd flows.Diagnostics
		var cd config.Diagnostics
		var id inbox.Diagnostics
		switch {
		case errors.As(err, &fd), errors.As(err, &cd), errors.As(err, &id):
			fmt.Fprintf(s.Err, "%v\n", err)
		default:
			fmt.Fprintf(s.Err, "wasla serve: %v\n", err)
		}
		return exitFail
	}
	defer closeFn()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla serve: %v\n", err)
		return exitFail
	}

	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-runCtx.Done():
				return
			case <-hup:
				_ = srv.Reload("SIGHUP") // Reload logs every problem
			}
		}
	})
	err = srv.Run(runCtx, ln)
	stop()
	wg.Wait()
	if err != nil {
		log.Error("server stopped with an error", slog.Any("error", err))
		return exitFail
	}
	return exitOK
}

// configSecrets lists the configuration's secrets, for the log's redaction: a log record
// must never show one, whatever error text it quotes.
func configSecrets(cfg *config.Config) []string {
	out := []string{cfg.WhatsApp.AppSecret.Reveal(), cfg.WhatsApp.VerifyToken.Reveal(), cfg.Metrics.Token.Reveal(), cfg.Admin.Token.Reveal()}
	if u, err := url.Parse(cfg.Redis.Reveal()); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
	}
	for _, n := range cfg.Numbers {
		out = append(out, n.Token.Reveal())
	}
	if cfg.Health.WebhookSecret.IsSet() {
		out = append(out, cfg.Health.WebhookSecret.Reveal())
	}
	return out
}

// loadConfig reads the serve configuration for command cmd, printing its problems to
// errOut; it reports whether the configuration is usable.
func loadConfig(cmd, path string, errOut io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path)
	if err != nil {
		printConfigError(cmd, err, errOut)
		return nil, false
	}
	return cfg, true
}

// printConfigError prints a configuration's diagnostics as they are (file:line:col), any
// other error after the command's name.
func printConfigError(cmd string, err error, errOut io.Writer) {
	if _, ok := errors.AsType[config.Diagnostics](err); ok {
		fmt.Fprintf(errOut, "%v\n", err)
		return
	}
	fmt.Fprintf(errOut, "wasla %s: %v\n", cmd, err)
}

// loadReadingConfig loads the serve configuration for a command that reads a deployment
// (its numbers, portfolios, thresholds) and never talks to Meta: a variable the file names
// that is not set here, such as an access token only the servers have, reads as a
// placeholder instead of refusing the file.
func loadReadingConfig(cmd, path string, errOut io.Writer) (*config.Config, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(errOut, "wasla %s: reading config: %v\n", cmd, err)
		return nil, false
	}
	cfg, err := config.Parse(path, data, func(name string) (string, bool) {
		if v, ok := os.LookupEnv(name); ok {
			return v, true
		}
		return "unset-" + name, true
	})
	if err != nil {
		printConfigError(cmd, err, errOut)
		return nil, false
	}
	return cfg, true
}

func newLogger(w io.Writer, c config.Log) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.Level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
