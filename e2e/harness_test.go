package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/internal/syncbuf"
)

// waslaBin is the binary TestMain built.
var waslaBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wasla-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	waslaBin = filepath.Join(dir, "wasla")
	build := exec.Command("go", "build", "-o", waslaBin, "github.com/wasla/wasla/cmd/wasla")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building wasla:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// How long the tests wait for the process and for replies.
const (
	startTimeout = 30 * time.Second
	waitTimeout  = 20 * time.Second
	pollEvery    = 10 * time.Millisecond
)

// Numbers and secrets of the test configuration.
const (
	appSecret     = "e2e-app-secret"
	verifyToken   = "e2e-verify-token"
	inboxID       = "106540352242922"
	inboxDisplay  = "+1 555 078 3881"
	inboxWABA     = "102290129340398"
	inboxToken    = "EAAG-inbox-token"
	holdID        = "106540352242999"
	holdDisplay   = "+1 555 078 3999"
	holdWABA      = "102290129340999"
	holdToken     = "EAAG-hold-token"
	linkID        = "106540352242777"
	linkDisplay   = "+1 555 078 3777"
	linkWABA      = "102290129340777"
	linkToken     = "EAAG-link-token"
	metricsToken  = "e2e-metrics-token"
	configPattern = `listen: 127.0.0.1:0
redis: %s
flows: flows
log:
  level: debug
  format: json
whatsapp:
  app_secret: ${E2E_APP_SECRET}
  verify_token: ${E2E_VERIFY_TOKEN}
  graph_url: %s
  graph_version: v25.0
  mark_read: true
numbers:
  - id: "` + inboxID + `"
    display: "` + inboxDisplay + `"
    role: inbox
    waba: "` + inboxWABA + `"
    portfolio: "900"
    token: ${E2E_INBOX_TOKEN}
  - id: "` + holdID + `"
    display: "` + holdDisplay + `"
    role: campaign
    waba: "` + holdWABA + `"
    portfolio: "901"
    token: ` + holdToken + `
    campaign: spring
    policy: hold
  - id: "` + linkID + `"
    display: "` + linkDisplay + `"
    role: campaign
    waba: "` + linkWABA + `"
    portfolio: "901"
    token: ` + linkToken + `
    campaign: summer
    policy: link
routing:
  default_policy: hold
  link_text: "Please continue on our main number: {link}"
  bridge_template: {name: continue_here, language: en}
  window_template: {name: follow_up, language: en}
limits:
  workers: 8
  timer_interval: 50ms
  refresh_interval: 100ms
  reload_interval: 50ms
  shutdown_timeout: 10s
state:
  # Meta's samples are from 2025: remember ids (and accept events) that old.
  dedupe_period: 1000d
metrics:
  token: ` + metricsToken + `
`
)

var graphTokens = map[string]string{inboxID: inboxToken, holdID: holdToken, linkID: linkToken}

// proc is a running `wasla serve`.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string // config folder; flows live in dir/flows
	addr string
	logs *syncbuf.Buffer
	done chan struct{}
	err  error // the exit error, once done is closed
}

// writeConfig writes the test configuration and a copy of the test flows into a temp
// folder and returns the config path.
func writeConfig(t *testing.T, redisURL, graphURL string) string {
	t.Helper()
	dir := t.TempDir()
	flowsDir := filepath.Join(dir, "flows")
	if err := os.CopyFS(flowsDir, os.DirFS("testdata/flows")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "wasla.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(configPattern, redisURL, graphURL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var testEnv = []string{
	"E2E_APP_SECRET=" + appSecret,
	"E2E_VERIFY_TOKEN=" + verifyToken,
	"E2E_INBOX_TOKEN=" + inboxToken,
}

// run starts wasla with args and the test environment, and returns at once.
func run(t *testing.T, args ...string) *proc {
	t.Helper()
	return runEnv(t, testEnv, args...)
}

// runEnv starts wasla with args and the variables env added to the environment.
func runEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, logs: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(waslaBin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("wasla output:\n%s", p.logs.String())
		}
	})
	return p
}

// serve starts `wasla serve --config path` and waits until it listens.
func serve(t *testing.T, path string) *proc {
	t.Helper()
	p := run(t, "serve", "--config", path)
	p.dir = filepath.Dir(path)
	deadline := time.After(startTimeout)
	for p.addr == "" {
		p.addr = p.logField("serving", "addr")
		if p.addr != "" {
			break
		}
		select {
		case <-p.done:
			t.Fatalf("wasla serve exited at start-up (%v):\n%s", p.err, p.logs.String())
		case <-deadline:
			t.Fatalf("wasla serve did not listen within %v:\n%s", startTimeout, p.logs.String())
		case <-time.After(pollEvery):
		}
	}
	return p
}

// logLines returns the JSON log records.
func (p *proc) logLines() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(p.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// logField returns field of the first record with message msg.
func (p *proc) logField(msg, field string) string {
	for _, m := range p.logLines() {
		if m["msg"] == msg {
			s, _ := m[field].(string)
			return s
		}
	}
	return ""
}

// waitLog waits for a log record whose message contains text.
func (p *proc) waitLog(text string) map[string]any {
	p.t.Helper()
	var found map[string]any
	eventually(p.t, "a log record "+text, func() bool {
		for _, m := range p.logLines() {
			if msg, _ := m["msg"].(string); strings.Contains(msg, text) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

func (p *proc) url(path string) string { return "http://" + p.addr + path }

// post sends body to /webhook with the signature Meta would send.
func (p *proc) post(body []byte) int {
	p.t.Helper()
	return p.postSigned(body, whatsapp.Sign(appSecret, body))
}

func (p *proc) postSigned(body []byte, signature string) int {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.url("/webhook"), bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set(whatsapp.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// mustPost posts and requires 200.
func (p *proc) mustPost(body []byte) {
	p.t.Helper()
	if code := p.post(body); code != http.StatusOK {
		p.t.Fatalf("webhook POST answered %d, want 200", code)
	}
}

func (p *proc) get(path string) (int, string) {
	p.t.Helper()
	resp, err := http.Get(p.url(path))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metricsText returns the /metrics page, scraped with the metrics token.
func (p *proc) metricsText() (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodGet, p.url("/metrics"), nil)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of the series line that starts with series, or -1.
func (p *proc) metric(series string) float64 {
	p.t.Helper()
	code, body := p.metricsText()
	if code != http.StatusOK {
		p.t.Fatalf("/metrics = %d", code)
	}
	for line := range strings.Lines(body) {
		if rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), series+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				p.t.Fatalf("metric line %q: %v", line, err)
			}
			return v
		}
	}
	return -1
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitTimeout):
		p.t.Fatalf("wasla did not exit within %v", waitTimeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// eventually polls cond until it holds or the wait times out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(pollEvery):
		}
	}
}

// waitSent waits until the fake Graph API holds n requests that keep accepts, and returns
// them.
func waitSent(t *testing.T, g *fakeGraph, n int, keep func(sent) bool) []sent {
	t.Helper()
	var got []sent
	eventually(t, fmt.Sprintf("%d requests to the Graph API", n), func() bool {
		got = g.Sent(keep)
		return len(got) >= n
	})
	if len(got) != n {
		t.Fatalf("the Graph API got %d requests, want %d: %+v", len(got), n, got)
	}
	return got
}
