package flows

import (
	"strings"
	"testing"
)

// stepsOf loads one flow file and returns its steps' ids and fingerprints by position.
func stepsOf(t *testing.T, src string) ([]string, []string) {
	t.Helper()
	set, diags := Parse("f.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	var ids, fps []string
	for _, s := range set.Flows["f"].Steps {
		ids = append(ids, s.ID)
		fps = append(fps, s.Fingerprint)
	}
	return ids, fps
}

const namedBase = `flow: f
triggers: [{keywords: [go]}]
steps:
  - ask: "your name?"
    save: name
  - ask: "your city?"
    save: city
  - say: "thanks {{ vars.name }}"
`

// Regression (issue 10): a step named by its position was a different step after a step
// was inserted above it, and a waiting customer's answer was filed under it.
func TestStepNamesSurviveEdits(t *testing.T) {
	baseIDs, baseFPs := stepsOf(t, namedBase)
	if baseIDs[0] != "ask_name" || baseIDs[1] != "ask_city" || !strings.HasPrefix(baseIDs[2], "say_") {
		t.Fatalf("ids = %q", baseIDs)
	}
	byID := func(ids, fps []string) map[string]string {
		m := map[string]string{}
		for i, id := range ids {
			m[id] = fps[i]
		}
		return m
	}
	base := byID(baseIDs, baseFPs)
	tests := []struct {
		name    string
		src     string
		same    []string // ids whose step is unchanged
		changed []string // ids still present with another fingerprint
		gone    []string
	}{
		{"inserted above", strings.Replace(namedBase, "steps:\n", "steps:\n  - ask: \"your phone?\"\n    save: phone\n", 1),
			[]string{"ask_name", "ask_city", baseIDs[2]}, nil, nil},
		{"removed", strings.Replace(namedBase, "  - ask: \"your name?\"\n    save: name\n", "", 1),
			[]string{"ask_city", baseIDs[2]}, nil, []string{"ask_name"}},
		{"reordered", "flow: f\ntriggers: [{keywords: [go]}]\nsteps:\n  - ask: \"your city?\"\n    save: city\n  - ask: \"your name?\"\n    save: name\n  - say: \"thanks {{ vars.name }}\"\n",
			[]string{"ask_name", "ask_city", baseIDs[2]}, nil, nil},
		{"reworded", strings.Replace(namedBase, "your city?", "which city do you live in?", 1),
			[]string{"ask_name", baseIDs[2]}, []string{"ask_city"}, nil},
		{"retry and timeout added", strings.Replace(namedBase, "    save: city\n", "    save: city\n    retry: again?\n    timeout: 1h\n", 1),
			[]string{"ask_name", "ask_city", baseIDs[2]}, nil, nil},
		{"comments and quoting", strings.Replace(namedBase, "  - ask: \"your city?\"\n", "  # the city\n  - ask: 'your city?'\n", 1),
			[]string{"ask_name", "ask_city", baseIDs[2]}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := byID(stepsOf(t, tt.src))
			for _, id := range tt.same {
				if fp, ok := got[id]; !ok || fp != base[id] {
					t.Errorf("step %s: present %v, fingerprint %s, want %s", id, ok, fp, base[id])
				}
			}
			for _, id := range tt.changed {
				if fp, ok := got[id]; !ok || fp == base[id] {
					t.Errorf("step %s: present %v, fingerprint unchanged %v", id, ok, fp == base[id])
				}
			}
			for _, id := range tt.gone {
				if _, ok := got[id]; ok {
					t.Errorf("step %s still present", id)
				}
			}
		})
	}
}

func TestStepNamesRepeatAndAliases(t *testing.T) {
	src := `flow: f
triggers: [{keywords: [go]}]
steps:
  - ask: "name?"
    save: name
  - id: ask_name_2
    say: taken
  - ask: "name again?"
    save: name
  - call: g
  - wait: 1.5h
  - buttons: pick
    options: [{id: A, title: a, goto: say_2}]
  - goto: f.ask_3
`
	set, diags := ParseFiles(map[string][]byte{"f.yaml": []byte(src), "g.yaml": []byte("flow: g\nsteps:\n  - end: true\n")})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	f := set.Flows["f"]
	var ids []string
	for _, s := range f.Steps {
		ids = append(ids, s.ID)
	}
	want := []string{"ask_name", "ask_name_2", "ask_name_3", "call_g", "wait_1_5h"}
	for i, w := range want {
		if ids[i] != w {
			t.Errorf("step %d id = %s, want %s", i+1, ids[i], w)
		}
	}
	// Positional names still work as targets, resolved to the step's id at load time.
	if got := f.Steps[5].Buttons.Choices[0].Goto; got.Step != "ask_name_2" {
		t.Errorf("say_2 resolved to %+v", got)
	}
	if got := f.Steps[6].Goto; got.Step != "ask_name_3" {
		t.Errorf("f.ask_3 resolved to %+v", got)
	}
}
