package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
)

// reload loads the flow files again, as SIGHUP, the file watch and /reload do.
func (h *harness) reload(files map[string]string) {
	h.t.Helper()
	dir := h.t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
	set, diags := flows.Load(dir)
	if diags.HasErrors() {
		h.t.Fatalf("flows do not load:\n%v", diags)
	}
	h.eng.SetFlows(set)
}

const signupFlow = `flow: signup
triggers: [{keywords: [join]}]
steps:
  - ask: "your name?"
    save: name
  - ask: "your city?"
    save: city
  - say: "thanks {{ vars.name }} from {{ vars.city }}"
`

const changed = flows.DefaultQuestionChanged

// Regression (issue 10): one step inserted above a waiting question saved the answer
// "Sara" under the inserted step's variable.
func TestLiveEditsNeverMisfileAnAnswer(t *testing.T) {
	tests := []struct {
		name   string
		edited string
		answer string
		want   []string // replies to the answer given after the reload
		vars   map[string]any
	}{
		{
			name:   "step inserted above the question",
			edited: strings.Replace(signupFlow, "steps:\n", "steps:\n  - ask: \"your phone?\"\n    save: phone\n", 1),
			answer: "Sara",
			want:   []string{"your city?"},
			vars:   map[string]any{"name": "Sara"},
		},
		{
			name:   "step removed above the question",
			edited: strings.Replace(signupFlow, "  - ask: \"your city?\"\n    save: city\n", "", 1),
			answer: "Sara",
			want:   []string{"thanks Sara from "},
			vars:   map[string]any{"name": "Sara"},
		},
		{
			name: "steps reordered",
			edited: `flow: signup
triggers: [{keywords: [join]}]
steps:
  - ask: "your city?"
    save: city
  - say: "thanks {{ vars.name }} from {{ vars.city }}"
  - ask: "your name?"
    save: name
  - say: "noted, {{ vars.name }}"
`,
			answer: "Sara",
			want:   []string{"noted, Sara"},
			vars:   map[string]any{"name": "Sara"},
		},
		{
			name:   "question reworded",
			edited: strings.Replace(signupFlow, "your name?", "your full name, please?", 1),
			answer: "Sara",
			want:   []string{changed, "your full name, please?"},
			vars:   map[string]any{},
		},
		{
			name:   "question removed",
			edited: strings.Replace(signupFlow, "  - ask: \"your name?\"\n    save: name\n", "", 1),
			answer: "Sara",
			want:   []string{changed, "your city?"},
			vars:   map[string]any{},
		},
		{
			name:   "question moved to a position another step had",
			edited: strings.Replace(signupFlow, "save: name", "save: phone", 1),
			answer: "Sara",
			want:   []string{changed, "your name?"},
			vars:   map[string]any{},
		},
		{
			name:   "retry text added: the same question",
			edited: strings.Replace(signupFlow, "    save: name\n", "    save: name\n    retry: again?\n", 1),
			answer: "Sara",
			want:   []string{"your city?"},
			vars:   map[string]any{"name": "Sara"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"signup.yaml": signupFlow}, engine.Options{})
			expect(t, "start", h.say("join"), "your name?")
			h.reload(map[string]string{"signup.yaml": tt.edited})
			expect(t, "answer after the reload", h.say(tt.answer), tt.want...)
			vars := h.state().Session.Vars
			for k, v := range tt.vars {
				if vars[k] != v {
					t.Errorf("vars.%s = %#v, want %#v", k, vars[k], v)
				}
			}
			for k, v := range vars {
				if _, ok := tt.vars[k]; !ok {
					t.Errorf("vars.%s = %#v was saved; want only %v", k, v, tt.vars)
				}
			}
		})
	}
}

func TestAnswerToARemovedFlowIsAnsweredByTriggers(t *testing.T) {
	h := newHarness(t, map[string]string{"signup.yaml": signupFlow}, engine.Options{})
	expect(t, "start", h.say("join"), "your name?")
	h.reload(map[string]string{"menu.yaml": "flow: menu\ntriggers: [{fallback: true}]\nsteps:\n  - say: menu\n"})
	expect(t, "answer", h.say("Sara"), changed, "menu")
	if len(h.state().Session.Vars) != 0 {
		t.Errorf("vars = %v", h.state().Session.Vars)
	}
	var seen bool
	for _, ev := range h.store.History("966500000001") {
		seen = seen || ev.Kind == chat.EventQuestionChanged
	}
	if !seen {
		t.Error("no question_changed event in the history")
	}
}

func TestChangedButtonsAreSentAgain(t *testing.T) {
	src := `flow: pick
triggers: [{keywords: [pick]}]
steps:
  - buttons: "size?"
    options: [{id: S, title: Small}, {id: L, title: Large}]
    save: size
  - say: "size {{ vars.size }}"
`
	h := newHarness(t, map[string]string{"pick.yaml": src}, engine.Options{})
	expect(t, "start", h.say("pick"), "size? [Small|Large]")
	h.reload(map[string]string{"pick.yaml": strings.Replace(src, "{id: L, title: Large}", "{id: M, title: Medium}, {id: L, title: Large}", 1)})
	expect(t, "press after the reload", h.say("Large"), changed, "size? [Small|Medium|Large]")
	expect(t, "press again", h.say("Large"), "size L")
}
