package inbox_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/inbox"
)

// The OpenAPI file documents exactly the routes the API mounts, each with its 401.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("../docs/inbox.openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct{ Responses map[string]any }
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/inbox.openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s %s documents no 401", strings.ToUpper(method), path)
			}
		}
	}

	cfg, err := inbox.LoadConfig("testdata/inbox.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ib, err := inbox.New(inbox.Options{Config: cfg, Redis: unusedRedis(), Engine: engineRef{}, History: noHistory{}})
	if err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	r.Route("/api", ib.APIRoutes)
	var mounted []string
	err = chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/")
		mounted = append(mounted, method+" "+route)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(documented)
	slices.Sort(mounted)
	for _, m := range mounted {
		if !slices.Contains(documented, m) {
			t.Errorf("route %s is not in docs/inbox.openapi.json", m)
		}
	}
	for _, d := range documented {
		if !slices.Contains(mounted, d) {
			t.Errorf("docs/inbox.openapi.json documents %s, which no route serves", d)
		}
	}
}

// sseEvent is one event read from /api/events.
type sseEvent struct {
	id, typ string
	data    inbox.Event
}

// readSSE connects to /api/events as token, resuming after lastID, and returns the
// events it reads until the stream has been quiet for a heartbeat.
func (h *harness) readSSE(token, lastID string) []sseEvent {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.api.URL+"/api/events", nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		h.t.Fatalf("events answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			cur.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &cur.data); err != nil {
				h.t.Fatal(err)
			}
		case line == ": ping":
			return out // quiet: everything there was has been read
		case line == "" && cur.id != "":
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	h.t.Fatalf("the event stream ended without a heartbeat: %v", sc.Err())
	return nil
}

func TestEventsResumeAfterLastEventID(t *testing.T) {
	h := newHarness(t)
	var list listAnswer
	h.call(saraToken, "GET", "/conversations", nil, &list)
	if list.After != "0-0" {
		t.Errorf("after of an empty stream = %q, want 0-0", list.After)
	}

	h.write(inboxNum, "موظف") // inbound, outbound, handoff, conversation
	first := h.readSSE(saraToken, list.After)
	types := []string{}
	for _, e := range first {
		types = append(types, e.typ)
	}
	if got := strings.Join(types, " "); got != "message message message conversation" {
		t.Fatalf("events after the hand-off = %q", got)
	}
	if first[3].data.Conversation == nil || first[3].data.Conversation.State != inbox.StateWaiting {
		t.Errorf("conversation event = %+v", first[3].data)
	}

	// Resuming after the second event replays exactly the two after it.
	again := h.readSSE(saraToken, first[1].id)
	if len(again) != 2 || again[0].id != first[2].id || again[1].id != first[3].id {
		t.Errorf("resumed after %s: got %+v, want events %s and %s", first[1].id, again, first[2].id, first[3].id)
	}

	// A claim is one more event; lina, not in sales, sees none of it.
	h.call(saraToken, "POST", "/conversations/"+string(customer)+"/claim", nil, nil)
	next := h.readSSE(saraToken, first[3].id)
	if len(next) != 1 || next[0].data.Conversation.Assignee != "sara" {
		t.Errorf("after the claim: %+v", next)
	}
	if got := h.readSSE(linaToken, list.After); len(got) != 0 {
		t.Errorf("lina received %d events of a queue she is not in", len(got))
	}
	if code := h.call(saraToken, "GET", "/events?last_event_id=bogus", nil, nil); code != http.StatusBadRequest {
		t.Errorf("a malformed last event id answered %d, want 400", code)
	}
}

// The OpenAPI schemas of a delivery state and of a live event list exactly the JSON
// fields the server writes, so a field added to either is documented or this fails.
func TestOpenAPIMatchesFields(t *testing.T) {
	raw, err := os.ReadFile("../docs/inbox.openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct{ Properties map[string]any }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/inbox.openapi.json: %v", err)
	}
	for name, v := range map[string]any{"Delivery": chat.Delivery{}, "Event": inbox.Event{}} {
		schema, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("docs/inbox.openapi.json has no %s schema", name)
			continue
		}
		fields := jsonFields(reflect.TypeOf(v))
		for _, f := range fields {
			if _, ok := schema.Properties[f]; !ok {
				t.Errorf("schema %s lacks the field %q", name, f)
			}
		}
		for p := range schema.Properties {
			if !slices.Contains(fields, p) {
				t.Errorf("schema %s documents %q, which the server never writes", name, p)
			}
		}
	}
	if _, ok := doc.Components.Schemas["HistoryEvent"].Properties["delivery"]; !ok {
		t.Error("the history's events do not document their delivery state")
	}
}

// jsonFields returns the JSON names of a struct's fields.
func jsonFields(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
