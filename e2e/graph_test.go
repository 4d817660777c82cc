package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// sent is one request the fake Graph API accepted.
type sent struct {
	ID       string         // the wamid the fake answered with
	Number   string         // phone number id in the path
	Type     string         // text, interactive, template, ..., or "read" for mark-as-read
	To       string         // "to" or "recipient"
	Text     string         // text body or interactive body text
	Template string         // template name
	Body     map[string]any // the whole JSON body
}

// fakeGraph is the Graph API as far as wasla uses it: POST /<version>/<phone number
// id>/messages. Every request is checked against Meta's documented shape; a request that
// does not conform is answered 400 with Meta's error JSON and reported as a test error.
type fakeGraph struct {
	t       *testing.T
	srv     *httptest.Server
	version string
	tokens  map[string]string // phone number id -> token

	// answerDelay is how long a send waits for its answer after the fake accepted it, as
	// Meta's does: a sender killed meanwhile leaves a message Meta has, whose answer it
	// never read. Set before the first request.
	answerDelay time.Duration
	// accepted, when set, hears of every message the fake accepted (not mark-as-read), as
	// Meta's status webhooks would tell; it runs on the request's goroutine, before the
	// answer, and must not block. Set before the first request.
	accepted func(sent)

	mu   sync.Mutex
	sent []sent
	bad  []string
	n    int
}

func newFakeGraph(t *testing.T, tokens map[string]string) *fakeGraph {
	t.Helper()
	g := &fakeGraph{t: t, version: "v25.0", tokens: tokens}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(func() {
		g.srv.Close()
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, b := range g.bad {
			t.Errorf("fake Graph API: %s", b)
		}
	})
	return g
}

func (g *fakeGraph) URL() string { return g.srv.URL }

var messagesPath = regexp.MustCompile(`^/(v[0-9]+\.[0-9]+)/([0-9]+)/messages$`)

func (g *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	fail := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		g.mu.Lock()
		g.bad = append(g.bad, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, msg))
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"message": msg, "type": "OAuthException", "code": 100, "fbtrace_id": "fake",
		}})
	}
	m := messagesPath.FindStringSubmatch(r.URL.Path)
	if r.Method != http.MethodPost || m == nil {
		fail("not POST /<version>/<phone-number-id>/messages")
		return
	}
	if m[1] != g.version {
		fail("version %s, want %s", m[1], g.version)
		return
	}
	number := m[2]
	token, known := g.tokens[number]
	if !known {
		fail("unknown phone number id %s", number)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		fail("Authorization header is not the Bearer token of number %s", number)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		fail("Content-Type %q, want application/json", ct)
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		fail("reading body: %v", err)
		return
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		fail("body is not a JSON object: %v", err)
		return
	}
	rec, err := checkMessage(body)
	if err != nil {
		fail("%v in %s", err, data)
		return
	}
	rec.Number, rec.Body = number, body
	g.mu.Lock()
	g.n++
	id := fmt.Sprintf("wamid.FAKE%06d", g.n)
	rec.ID = id
	g.sent = append(g.sent, rec)
	g.mu.Unlock()
	if g.accepted != nil && rec.Type != "read" {
		g.accepted(rec)
	}
	if g.answerDelay > 0 {
		select {
		case <-time.After(g.answerDelay): // Meta's answer on its way
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if rec.Type == "read" {
		_, _ = io.WriteString(w, `{"success":true}`)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []any{map[string]any{"input": rec.To, "wa_id": strings.TrimPrefix(rec.To, "+")}},
		"messages":          []any{map[string]any{"id": id}},
	})
}

// checkMessage checks a send or mark-as-read body against the Cloud API reference
// (messages endpoint): messaging_product, the recipient, the type and the object named
// after the type with its required fields and documented limits.
func checkMessage(b map[string]any) (sent, error) {
	var rec sent
	if b["messaging_product"] != "whatsapp" {
		return rec, fmt.Errorf(`messaging_product is %v, want "whatsapp"`, b["messaging_product"])
	}
	if b["status"] != nil {
		id, _ := b["message_id"].(string)
		if b["status"] != "read" || !strings.HasPrefix(id, "wamid.") {
			return rec, fmt.Errorf(`mark-as-read needs status "read" and a wamid message_id`)
		}
		rec.Type = "read"
		return rec, nil
	}
	if rt, ok := b["recipient_type"]; ok && rt != "individual" {
		return rec, fmt.Errorf(`recipient_type is %v, want "individual"`, rt)
	}
	to, _ := b["to"].(string)
	recipient, _ := b["recipient"].(string)
	if (to == "") == (recipient == "") {
		return rec, fmt.Errorf("exactly one of to and recipient must be set")
	}
	rec.To = to + recipient
	typ, _ := b["type"].(string)
	rec.Type = typ
	obj, ok := b[typ].(map[string]any)
	if !ok {
		return rec, fmt.Errorf("type %q without a %q object", typ, typ)
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	switch typ {
	case "text":
		rec.Text = str(obj, "body")
		if rec.Text == "" || utf8.RuneCountInString(rec.Text) > 4096 {
			return rec, fmt.Errorf("text.body must be 1 to 4096 characters")
		}
	case "interactive":
		body, _ := obj["body"].(map[string]any)
		rec.Text = str(body, "text")
		action, _ := obj["action"].(map[string]any)
		if rec.Text == "" || action == nil {
			return rec, fmt.Errorf("interactive needs body.text and action")
		}
		switch str(obj, "type") {
		case "button":
			buttons, _ := action["buttons"].([]any)
			if len(buttons) < 1 || len(buttons) > 3 {
				return rec, fmt.Errorf("interactive button needs 1 to 3 buttons, has %d", len(buttons))
			}
			for _, x := range buttons {
				btn, _ := x.(map[string]any)
				reply, _ := btn["reply"].(map[string]any)
				if str(btn, "type") != "reply" || str(reply, "id") == "" || str(reply, "title") == "" ||
					utf8.RuneCountInString(str(reply, "title")) > 20 {
					return rec, fmt.Errorf("button %v: want type reply with an id and a title of at most 20 characters", x)
				}
			}
		case "list":
			sections, _ := action["sections"].([]any)
			if str(action, "button") == "" || len(sections) < 1 || len(sections) > 10 {
				return rec, fmt.Errorf("interactive list needs action.button and 1 to 10 sections")
			}
		default:
			return rec, fmt.Errorf("interactive.type %q, want button or list", str(obj, "type"))
		}
	case "template":
		rec.Template = str(obj, "name")
		lang, _ := obj["language"].(map[string]any)
		if rec.Template == "" || str(lang, "code") == "" {
			return rec, fmt.Errorf("template needs name and language.code")
		}
	case "image", "audio", "video", "document", "sticker":
		if (str(obj, "id") == "") == (str(obj, "link") == "") {
			return rec, fmt.Errorf("%s needs exactly one of id and link", typ)
		}
	default:
		return rec, fmt.Errorf("type %q is not one wasla sends", typ)
	}
	return rec, nil
}

// Sent returns the accepted requests, optionally only those matching keep.
func (g *fakeGraph) Sent(keep func(sent) bool) []sent {
	g.mu.Lock()
	defer g.mu.Unlock()
	if keep == nil {
		return slices.Clone(g.sent)
	}
	var out []sent
	for _, s := range g.sent {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// replies keeps the messages (not read receipts) sent to a contact.
func replies(to string) func(sent) bool {
	return func(s sent) bool { return s.Type != "read" && strings.TrimPrefix(s.To, "+") == to }
}
