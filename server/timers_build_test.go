package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
)

// TestBuiltServerAnswersABurstWhenItsWindowCloses: with the server wired as `wasla serve`
// wires it and the poll of the timer index never ticking, a burst's answer still leaves
// when its window closes: the engine noted the timer at its commit and the server fired it
// at that moment.
func TestBuiltServerAnswersABurstWhenItsWindowCloses(t *testing.T) {
	var mu sync.Mutex
	var sent []string
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		sent = append(sent, string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","messages":[{"id":"wamid.out1"}]}`)
	}))
	t.Cleanup(graph.Close) // outlives the built server
	replies := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), sent...)
	}

	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string]string{
		"settings.yaml": "settings:\n  burst_window: 3s\n",
		"echo.yaml":     "flow: echo\ntriggers: [{fallback: true}]\nsteps:\n  - say: \"got: {{ message.text }}\"\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, "flows", name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src := `flows: flows
whatsapp: {app_secret: a, verify_token: b, graph_url: ` + graph.URL + `}
numbers:
  - {id: "106540352242922", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
limits: {refresh_interval: 0, reload_interval: 0}
`
	cfg, err := config.Parse(filepath.Join(dir, "wasla.yaml"), []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(time.Now())
	ticks := &manualTicks{} // the poll of the timer index never ticks
	srv, closeFn, err := Build(context.Background(), cfg, BuildOptions{Clock: clk, Tick: ticks.Tick})
	if err != nil {
		t.Fatal(err)
	}
	fa := &fakeAfter{ch: make(chan time.Time)}
	srv.d.TimerNotes.after = fa.after
	addr := serveBuilt(t, srv, closeFn)

	body := strings.NewReplacer("Does it come in another color?", "hello",
		`"1749416383"`, fmt.Sprintf("%q", strconv.FormatInt(clk.Now().Unix(), 10))).Replace(string(sample(t, "text.json")))
	postWebhook(t, addr, body)

	// The message is handled and its burst timer noted; the server sleeps toward it, at
	// most the poll interval at a time (limits.timer_interval, 1s).
	eventually(t, "the burst timer noted", func() bool { return srv.d.TimerNotes.Len() == 1 && fa.last() == time.Second })
	if got := replies(); len(got) != 0 {
		t.Fatalf("answered inside the burst window: %q", got)
	}
	clk.Advance(3 * time.Second)
	fa.ch <- clk.Now()
	eventually(t, "the burst answered when its window closed", func() bool { return len(replies()) == 1 })
	if got := replies()[0]; !strings.Contains(got, "got: hello") {
		t.Errorf("sent %s, want the burst's answer", got)
	}
}
