package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/inbox"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/internal/syncbuf"
	"github.com/wasla/wasla/store"
)

// Tokens of testdata/inbox.yaml.
const (
	saraToken  = "sara-token"
	omarToken  = "omar-token"
	linaToken  = "lina-token"
	adminToken = "admin-token"
)

const (
	customer   chat.ContactID = "966501234567"
	inboxNum   chat.NumberID  = "106540352242922"
	campaignNo chat.NumberID  = "106540352242999"
)

var start = time.Date(2026, time.December, 2, 9, 0, 0, 0, time.UTC)

// sentBox is the engine's Sender: it keeps what would go to WhatsApp.
type sentBox struct {
	mu   sync.Mutex
	msgs []chat.Outbound
}

func (s *sentBox) Send(_ context.Context, m chat.Outbound) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *sentBox) all() []chat.Outbound {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]chat.Outbound(nil), s.msgs...)
}

// reads records the read receipts the inbox asks for.
type reads struct {
	mu  sync.Mutex
	ids []string
}

func (r *reads) MarkRead(_ context.Context, number chat.NumberID, id string, typing bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := ""
	if typing {
		t = "+typing"
	}
	r.ids = append(r.ids, string(number)+"/"+id+t)
	return nil
}

func (r *reads) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...)
}

type engineRef struct{ *engine.Engine }

type harness struct {
	t     *testing.T
	ib    *inbox.Inbox
	eng   *engine.Engine
	clk   *clock.Manual
	sent  *sentBox
	reads *reads
	api   *httptest.Server
	logs  *syncbuf.Buffer
	store *store.Redis
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, store.Options{})
}

// newHarnessWith is newHarness over a store with opts (its clock is the harness's).
func newHarnessWith(t *testing.T, opts store.Options) *harness {
	t.Helper()
	client := redistest.Start(t).Client(t)
	clk := clock.NewManual(start)
	opts.Clock = clk
	st, err := store.New(client, opts)
	if err != nil {
		t.Fatal(err)
	}
	set, diags := flows.Load("testdata/flows")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, err := inbox.LoadConfig("testdata/inbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, clk: clk, sent: &sentBox{}, reads: &reads{}, logs: &syncbuf.Buffer{}, store: st}
	ref := &engineRef{}
	h.ib, err = inbox.New(inbox.Options{Config: cfg, Redis: client, Engine: ref, History: st, MarkRead: h.reads,
		Clock: clk, Logger: slog.New(slog.NewTextHandler(h.logs, nil)), Heartbeat: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = engine.New(set, inbox.Watch(st, h.ib), h.sent, engine.Options{Clock: clk})
	ref.Engine = h.eng
	r := chi.NewRouter()
	r.Route("/api", h.ib.APIRoutes)
	h.api = httptest.NewServer(r)
	t.Cleanup(h.api.Close)
	return h
}

var msgSeq int

// write delivers a customer's text message on number.
func (h *harness) write(number chat.NumberID, text string) {
	h.t.Helper()
	msgSeq++
	in := chat.Inbound{ID: "wamid." + time.Now().Format("150405.000000") + string(rune('a'+msgSeq%26)), Contact: customer,
		ProfileName: "أحمد", Number: number, Kind: chat.KindText, Text: text, At: h.clk.Now()}
	if err := h.eng.Receive(context.Background(), nil, in); err != nil {
		h.t.Fatal(err)
	}
}

// call sends an API request with token and decodes the JSON answer into out (if not nil).
func (h *harness) call(token, method, path string, body, out any) int {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.api.URL+"/api"+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			h.t.Fatalf("%s %s: decoding %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// agent returns the configured agent with id.
func (h *harness) agent(id string) *inbox.Agent {
	a, ok := h.ib.Config().Agent(id)
	if !ok {
		h.t.Fatalf("no agent %s", id)
	}
	return a
}

// unusedRedis is a client for tests that never reach Redis (it connects lazily).
func unusedRedis() *redis.Client { return redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) }

// noHistory is a history reader for tests that read none.
type noHistory struct{}

func (noHistory) HistoryWithDelivery(context.Context, chat.ContactID, time.Time, time.Time, func(chat.Event) error) error {
	return nil
}
