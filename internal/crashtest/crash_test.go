package crashtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/store"
)

// binDir holds the wasla binary, built once by the first test that needs it.
var (
	binDir    string
	buildOnce sync.Once
	waslaBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wasla-crashtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	return m.Run()
}

// goTool is the go command of the toolchain running the tests.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// needBinary builds cmd/wasla with `go build -o` (once), or skips under -short.
func needBinary(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building the wasla binary")
	}
	buildOnce.Do(func() {
		bin := filepath.Join(binDir, "wasla")
		out, err := exec.Command(goTool(), "build", "-o", bin, "github.com/wasla/wasla/cmd/wasla").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("building wasla: %w\n%s", err, out)
			return
		}
		waslaBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

const pollTimeout = 30 * time.Second

// proc is a running `wasla simulate` fed through a pipe.
type proc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *syncbuf.Buffer
	done  chan struct{}
}

func startSimulate(t *testing.T, redisURL string, contact chat.ContactID) *proc {
	t.Helper()
	cmd := exec.Command(waslaBin, "simulate", "--redis", redisURL, "--contact", string(contact), "testdata/flows")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, out: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// say sends one line and waits until the output holds want.
func (p *proc) say(t *testing.T, line, want string) {
	t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		t.Fatalf("writing %q: %v\noutput so far:\n%s", line, err, p.out)
	}
	deadline := time.Now().Add(pollTimeout)
	for !strings.Contains(p.out.String(), want) {
		select {
		case <-p.done:
			t.Fatalf("wasla exited waiting for %q after %q; output:\n%s", want, line, p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %v after %q; output:\n%s", want, pollTimeout, line, p.out)
		}
		time.Sleep(10 * time.Millisecond) // polling the output
	}
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	<-p.done
}

// history reads a contact's history as "direction: text" lines.
func history(t *testing.T, s *store.Redis, id chat.ContactID) []string {
	t.Helper()
	var got []string
	err := s.History(t.Context(), id, time.Time{}, time.Time{}, func(ev chat.Event) error {
		switch {
		case ev.Inbound != nil:
			got = append(got, "in: "+ev.Inbound.Text)
		case ev.Outbound != nil:
			got = append(got, "out: "+ev.Outbound.Text)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wasla killed while an ask waits for its answer: started again, it takes the answer where
// the conversation stopped, and the history holds every message of both runs. Then
// redis-server itself is killed and restarted from its append-only file: nothing of it is
// lost.
func TestSimulateSurvivesSIGKILL(t *testing.T) {
	needBinary(t)
	srv := redistest.Start(t, redistest.AppendOnly())
	const contact = "966501112233"

	first := startSimulate(t, srv.URL(), contact)
	first.say(t, "order", "bot: What is your name?")
	first.say(t, "Amira", "bot: How many cups, Amira?")
	first.kill(t)

	second := startSimulate(t, srv.URL(), contact)
	second.say(t, "3", "bot: Thanks Amira: 3 cups.")
	if out := second.out.String(); strings.Contains(out, "What is your name?") {
		t.Fatalf("the conversation started over after the restart:\n%s", out)
	}
	if err := second.stdin.Close(); err != nil { // end of script: it exits
		t.Fatal(err)
	}
	<-second.done

	want := []string{
		"in: order", "out: What is your name?",
		"in: Amira", "out: How many cups, Amira?",
		"in: 3", "out: Thanks Amira: 3 cups.",
	}
	s, err := store.New(srv.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := history(t, s, contact); !slices.Equal(got, want) {
		t.Fatalf("history after the restart\n%q\nwant\n%q", got, want)
	}

	srv.Kill(t)
	srv.Restart(t)
	if got := history(t, s, contact); !slices.Equal(got, want) {
		t.Fatalf("history after redis-server was killed and restarted\n%q\nwant\n%q", got, want)
	}
}

// redis-server killed with SIGKILL while writers commit: every commit it acknowledged is in
// the history after it restarts from its append-only file (appendfsync always).
func TestRedisKillLosesNoAcknowledgedEntry(t *testing.T) {
	srv := redistest.Start(t, redistest.AppendOnly())
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = client.Close() })
	s, err := store.New(client, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const writers = 8
	var (
		acked [writers][]string // each writer's acknowledged messages, in order
		total atomic.Int64
		wg    sync.WaitGroup
	)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	for w := range writers {
		id := chat.ContactID(fmt.Sprintf("96650000%04d", w))
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				st, err := s.Load(ctx, id)
				if err != nil {
					return // the server is gone
				}
				text := fmt.Sprintf("%d/%d", w, i)
				in := &chat.Inbound{ID: "wamid." + text, Contact: id, Kind: chat.KindText, Text: text, At: time.Now()}
				if err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, Inbound: in, At: in.At}}); err != nil {
					return // unacknowledged: it may or may not be stored
				}
				acked[w] = append(acked[w], "in: "+text)
				total.Add(1)
			}
		})
	}
	deadline := time.Now().Add(pollTimeout)
	for total.Load() < 500 { // the writers are well under way
		if time.Now().After(deadline) {
			t.Fatalf("only %d commits within %v", total.Load(), pollTimeout)
		}
		time.Sleep(time.Millisecond) // polling the writers' progress
	}
	srv.Kill(t)
	wg.Wait() // every writer has seen the server go
	stop()
	srv.Restart(t)

	for w := range writers {
		id := chat.ContactID(fmt.Sprintf("96650000%04d", w))
		got := history(t, s, id)
		// The history holds every acknowledged entry, in order; it may hold one more that was
		// written when the server died before its reply reached the writer.
		if len(got) < len(acked[w]) || len(got) > len(acked[w])+1 || !slices.Equal(got[:len(acked[w])], acked[w]) {
			t.Fatalf("writer %d: %d acknowledged entries, history has %d; first difference at %d", w, len(acked[w]), len(got), firstDiff(got, acked[w]))
		}
		st, err := s.Load(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != int64(len(got)) {
			t.Fatalf("writer %d: version %d with %d history entries: the commit was cut in half", w, st.Version, len(got))
		}
	}
	t.Logf("%d acknowledged commits survived the kill", total.Load())
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
