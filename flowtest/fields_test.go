package flowtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/wasla/wasla/yamlfile"
)

// TestDefinitionsDocumented requires a description on every key: the schema shows it on
// hover and beside completions.
func TestDefinitionsDocumented(t *testing.T) {
	seen := map[*yamlfile.Spec]bool{}
	var walk func(path string, v *yamlfile.Spec)
	walk = func(path string, v *yamlfile.Spec) {
		if v == nil || seen[v] {
			return
		}
		seen[v] = true
		for _, f := range v.Fields {
			if f.Doc == "" {
				t.Errorf("%s.%s has no Doc", path, f.Name)
			}
			walk(path+"."+f.Name, f.Spec)
		}
		walk(path+"[]", v.Elem)
		for _, a := range v.Alts {
			walk(path, a)
		}
	}
	walk("test", FormatDefinitions().Test)
	walk("mocks file", FormatDefinitions().MocksFile)
	if !seen[FormatDefinitions().Step] || !seen[FormatDefinitions().Bot] || !seen[FormatDefinitions().Contact] || !seen[FormatDefinitions().MockAnswer] {
		t.Errorf("the named parts of Definitions are not reachable from Test")
	}
}

// TestDefinitionsNameEveryStepKind keeps the step table and the StepKind constants together.
func TestDefinitionsNameEveryStepKind(t *testing.T) {
	want := []StepKind{StepUser, StepPress, StepChoose, StepMedia, StepLocation, StepCall, StepBot, StepNoReply,
		StepVars, StepNoVars, StepTags, StepNoTags, StepHandoff, StepOptedOut, StepTime, StepAgentClaim, StepAgent, StepAgentRelease, StepError}
	var got []StepKind
	for _, name := range FormatDefinitions().Step.Names() {
		got = append(got, StepKind(name))
	}
	if !slices.Equal(got, want) {
		t.Errorf("step keys %v, want %v", got, want)
	}
}

// TestParserAcceptsEveryDefinedKey checks that the parser takes its keys from the table:
// each key the table names is known, in its place, and a key it does not name is not.
func TestParserAcceptsEveryDefinedKey(t *testing.T) {
	defs := FormatDefinitions()
	docs := map[string]string{}
	for _, k := range defs.Test.Names() {
		docs["test "+k] = "test: t\nsteps: [{user: hi}]\n" + k + ": x\n"
	}
	for _, k := range defs.Contact.Names() {
		docs["contact "+k] = "test: t\nsteps: [{user: hi}]\ncontact: {" + k + ": x}\n"
	}
	for _, k := range defs.Step.Names() {
		docs["step "+k] = "test: t\nsteps: [{" + k + ": x}]\n"
	}
	for _, k := range defs.Bot.Names() {
		docs["bot "+k] = "test: t\nsteps: [{bot: {" + k + ": x}}]\n"
	}
	for _, k := range defs.MockAnswer.Names() {
		docs["mock "+k] = "test: t\nsteps: [{user: hi}]\nmocks: {\"GET https://x.example/\": {" + k + ": x}}\n"
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			_, diags := ParseFile("t.test.yaml", []byte(doc))
			for _, d := range diags {
				if strings.Contains(d.Message, "unknown") && strings.Contains(d.Message, "key") {
					t.Errorf("the parser does not know a key of the table: %s", d)
				}
			}
		})
	}
	_, diags := ParseFile("t.test.yaml", []byte("test: t\nsteps: [{user: hi}]\ncontacts: {}\n"))
	if len(diags) != 1 || !strings.Contains(diags[0].Message, "unknown key \"contacts\" in a test; did you mean `contact`?") {
		t.Errorf("a key outside the table: %v", diags)
	}
}

// TestParserRequiresEveryRequiredKey checks that the keys the table marks required are the
// keys the parser reports missing.
func TestParserRequiresEveryRequiredKey(t *testing.T) {
	full := map[string]string{"test": "test: t\n", "steps": "steps: [{user: hi}]\n"}
	for _, f := range FormatDefinitions().Test.Fields {
		t.Run(f.Name, func(t *testing.T) {
			var doc strings.Builder
			for _, g := range FormatDefinitions().Test.Fields {
				if g.Required && g != f {
					doc.WriteString(full[g.Name])
				}
			}
			_, diags := ParseFile("t.test.yaml", []byte(doc.String()))
			missing := slices.ContainsFunc(diags, func(d yamlfile.Diagnostic) bool { return d.Code == yamlfile.CodeMissingKey })
			if missing != f.Required {
				t.Errorf("without %s: missing-key diagnostic = %v, want %v (%v)", f.Name, missing, f.Required, diags)
			}
		})
	}
}
