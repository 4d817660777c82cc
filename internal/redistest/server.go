package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// How long a server may take to answer PING after it was started, and to exit after SIGTERM.
const (
	startTimeout = 15 * time.Second
	stopTimeout  = 10 * time.Second
	pollInterval = 10 * time.Millisecond
)

// Option changes how Start runs redis-server.
type Option func(*config)

type config struct {
	appendOnly bool
	cluster    bool
	args       []string
}

// AppendOnly turns on append-only persistence with appendfsync always, so every write the
// server acknowledged survives a SIGKILL of the server. The files live in Server.Dir, which
// Kill and Restart keep.
func AppendOnly() Option { return func(c *config) { c.appendOnly = true } }

// Args passes extra command-line arguments to redis-server, after the ones Start sets.
func Args(args ...string) Option {
	return func(c *config) { c.args = append(c.args, args...) }
}

// Server is a redis-server process started for one test. Its methods are meant to be called
// from the test's goroutine.
type Server struct {
	// Addr is the server's host:port on 127.0.0.1.
	Addr string
	// Dir is the server's working directory (persistence files, nodes.conf, redis.log).
	Dir string

	bin  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// errPortTaken is returned when the server could not bind its port: another process took
// the free port between our probe and the server's bind, and Start tries another.
var errPortTaken = errors.New("port already in use")

// Start runs redis-server on a free port of 127.0.0.1 with persistence off (unless
// AppendOnly is given), waits until it answers PING and stops it when the test ends. It
// skips the test when redis-server is not on PATH, or fails it when CI=true.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, ok := lookPath(t, os.Getenv, "redis-server")
	if !ok {
		return nil
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.cluster {
		requireVersion7(t, bin)
	}
	s, err := start(bin, t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("redistest: %v", err)
		}
	})
	return s
}

// start tries a few free ports, since another process may take one before the server binds it.
func start(bin, dir string, cfg config) (*Server, error) {
	var err error
	for range 5 {
		var s *Server
		s, err = newServer(bin, dir, cfg)
		if err != nil {
			return nil, err
		}
		err = s.run()
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortTaken) {
			return nil, err
		}
	}
	return nil, err
}

func newServer(bin, dir string, cfg config) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	appendOnly := "no"
	if cfg.appendOnly {
		appendOnly = "yes"
	}
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", appendOnly,
		"--appendfsync", "always",
		"--daemonize", "no",
		"--protected-mode", "no",
	}
	if cfg.cluster {
		bus, err := freePort()
		if err != nil {
			return nil, err
		}
		args = append(args,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
			"--cluster-port", strconv.Itoa(bus))
	}
	args = append(args, cfg.args...)
	return &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Dir:  dir,
		bin:  bin,
		args: args,
	}, nil
}

// run starts the process and waits until it answers PING.
func (s *Server) run() error {
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("opening server log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(s.bin, s.args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status is read from the log when it matters
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	if err := waitReady(s.Addr, done); err != nil {
		_ = s.kill()
		log := s.logTail()
		if strings.Contains(log, "Address already in use") {
			return fmt.Errorf("redis-server on %s: %w", s.Addr, errPortTaken)
		}
		return fmt.Errorf("redis-server on %s: %w; log:\n%s", s.Addr, err, log)
	}
	return nil
}

// waitReady polls PING until the server answers PONG, the process exits or the deadline passes.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("the server exited while starting")
		default:
		}
		reply, err := command(addr, 500*time.Millisecond, "PING")
		if err == nil && reply == "PONG" {
			return nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("PING answered %q", reply) // e.g. LOADING while reading the AOF
		}
		select {
		case <-exited:
		case <-time.After(pollInterval):
		}
	}
	return fmt.Errorf("no PONG within %v: %w", startTimeout, last)
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Client returns a go-redis client of the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Kill ends the server with SIGKILL, as a crash would: nothing is flushed beyond what its
// persistence settings already wrote.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if err := s.kill(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

// Restart starts the server again on the same port and directory, after Kill or Stop, and
// waits until it answers PING (with AppendOnly, after it has loaded the log).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		t.Fatalf("redistest: Restart of %s while it runs; call Kill or Stop first", s.Addr)
	}
	if err := s.run(); err != nil {
		t.Fatalf("redistest: restarting: %v", err)
	}
}

// Stop ends the server with SIGTERM, letting it shut down cleanly, and waits for it.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}

func (s *Server) stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping redis-server on %s: %w", s.Addr, err)
	}
	select {
	case <-done:
		s.mu.Lock()
		s.cmd, s.done = nil, nil
		s.mu.Unlock()
		return nil
	case <-time.After(stopTimeout):
	}
	if err := s.kill(); err != nil {
		return err
	}
	return fmt.Errorf("redis-server on %s ignored SIGTERM for %v and was killed", s.Addr, stopTimeout)
}

func (s *Server) kill() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing redis-server on %s: %w", s.Addr, err)
	}
	<-done
	return nil
}

func (s *Server) logPath() string { return filepath.Join(s.Dir, "redis.log") }

// logTail returns the end of the server's log, for error messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another process may take it
// before redis-server binds it; start retries when that happens.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lookPath finds a binary, or skips the test (fails it when CI=true) with a message that
// says what is missing and how to get it.
func lookPath(t testing.TB, getenv func(string) string, name string) (string, bool) {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p, true
	}
	missing(t, getenv, fmt.Sprintf("%s not found on PATH (install Redis 7 or later, e.g. apt-get install redis-server)", name))
	return "", false
}

// missing skips the test, or fails it when CI=true: CI must never pass by skipping the tests
// against real servers.
func missing(t testing.TB, getenv func(string) string, what string) {
	t.Helper()
	if getenv("CI") == "true" {
		t.Fatalf("redistest: %s; failing because CI=true", what)
		return
	}
	t.Skipf("redistest: %s; skipping the tests against a real Redis", what)
}
