package engine_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/internal/syncbuf"
)

// Regression (issue 10): a step that failed at run time ended the conversation in
// silence; the customer now gets error_reply, optionally a hand-off, and the error is in
// the history and the log with the step's file:line.
func TestRuntimeErrorsAreAnswered(t *testing.T) {
	const flow = `flow: calc
triggers: [{keywords: [calc]}, {keywords: [track]}]
steps:
  - if: 'message.folded == "track"'
    then: lookup
  - say: "counting"
  - set: {n: 'int(vars.x)'}
  - say: "never"
  - id: lookup
    http: {get: "https://carrier.example/track"}
    save: shipment
  - say: "{{ vars.shipment.status }}"
`
	tests := []struct {
		name     string
		settings string
		text     string
		want     []string
		where    string
		detail   string
		queue    string
	}{
		{"expression, default reply", "", "calc", []string{"counting", flows.DefaultErrorReply}, "calc.yaml:7", "int(vars.x)", ""},
		{"expression, own reply and hand-off", "settings:\n  error_reply: sorry!\n  error_handoff: support\n", "calc",
			[]string{"counting", "sorry!"}, "calc.yaml:7", "int(vars.x)", "support"},
		{"http failure without on_error", "", "track", []string{flows.DefaultErrorReply}, "calc.yaml:9", "status 503", ""},
		{"hand-off to a closed queue says when it opens", "settings:\n  error_reply: sorry!\n  error_handoff: support\n  queues: {support: {hours: \"tue 09:00-17:00\"}}\n", "calc",
			[]string{"counting", "sorry!", "فريقنا خارج ساعات العمل الآن، ونفتح يوم الثلاثاء الساعة 09:00. سنرد عليك حينها. / Our team is closed now; we open Tuesday 09:00 and will answer you then."},
			"calc.yaml:7", "int(vars.x)", "support"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"calc.yaml": flow}
			if tt.settings != "" {
				files["settings.yaml"] = tt.settings
			}
			logs := &syncbuf.Buffer{}
			var reported []*engine.RuntimeError
			h := newHarness(t, files, engine.Options{
				Logger:  slog.New(slog.NewTextHandler(logs, nil)),
				HTTP:    &endpoint{answers: []func() (*http.Response, error){answer(503, `{}`)}},
				OnError: func(_ chat.ContactID, err *engine.RuntimeError) { reported = append(reported, err) },
			})
			seedVars(t, h, map[string]any{"x": "five"})
			expect(t, "reply", h.say(tt.text), tt.want...)
			if len(reported) != 1 || !strings.Contains(reported[0].Error(), tt.where+": ") || !strings.Contains(reported[0].Error(), tt.detail) {
				t.Errorf("reported errors = %v, want one at %s about %s", reported, tt.where, tt.detail)
			}
			var found bool
			for _, ev := range h.store.History("966500000001") {
				found = found || (ev.Kind == chat.EventError && strings.Contains(ev.Detail, tt.where+": ") && strings.Contains(ev.Detail, tt.detail))
			}
			if !found {
				t.Errorf("no error event at %s in the history", tt.where)
			}
			if log := logs.String(); !strings.Contains(log, "level=ERROR") || !strings.Contains(log, tt.where) {
				t.Errorf("log lacks the error at %s:\n%s", tt.where, log)
			}
			s := h.state().Session
			if (s.Mode == engine.ModeHuman) != (tt.queue != "") || s.Queue != tt.queue {
				t.Errorf("mode %q queue %q, want queue %q", s.Mode, s.Queue, tt.queue)
			}
			if s.Flow != "" {
				t.Errorf("session still in flow %q", s.Flow)
			}
		})
	}
}
