package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
)

// TestSchemaUpToDate fails when a checked-in schema differs from what the definitions in
// packages flows and flowtest and the spec of package config produce.
func TestSchemaUpToDate(t *testing.T) {
	tests := []struct {
		file     string
		generate func() ([]byte, error)
		embedded []byte
	}{
		{"flow.schema.json", func() ([]byte, error) { return Generate(flows.FormatDefinitions()) }, File()},
		{"test.schema.json", func() ([]byte, error) { return GenerateTests(flowtest.FormatDefinitions()) }, TestsFile()},
		{"config.schema.json", func() ([]byte, error) { return GenerateSpec("wasla configuration", config.FormatSpec()) }, ConfigFile()},
		{"campaign.schema.json", func() ([]byte, error) { return GenerateSpec("wasla campaign", campaignfile.FormatSpec()) }, CampaignFile()},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want, err := tt.generate()
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("schema/%s is stale: its definitions changed.\nRegenerate it with: go generate ./schema", tt.file)
			}
			if !bytes.Equal(tt.embedded, got) {
				t.Fatalf("the package does not return the checked-in %s", tt.file)
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	return compileFile(t, "flow.schema.json", File())
}

func compileFile(t *testing.T, name string, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(name) // also checks it against the draft-07 meta-schema
	if err != nil {
		t.Fatalf("%s does not compile: %v", name, err)
	}
	return sch
}

// yamlInstance reads a YAML document as the JSON value an editor validates.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestSchemaAcceptsGoodFlows validates every flow file that the loader accepts (the loader's
// good fixtures and the examples) against the schema.
func TestSchemaAcceptsGoodFlows(t *testing.T) {
	sch := compileSchema(t)
	var paths []string
	for _, pattern := range []string{"../flows/testdata/good/*.yaml", "../examples/*/*.yaml", "../examples/*/*.yml"} {
		m, _ := filepath.Glob(pattern)
		paths = append(paths, m...)
	}
	n := 0
	for _, p := range paths {
		if !flows.IsFlowFile(filepath.Base(p)) {
			continue
		}
		n++
		t.Run(p, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("%s does not validate against the schema:\n%v", p, err)
			}
		})
	}
	if n < 4 {
		t.Fatalf("found %d flow files to validate; want the loader's good fixtures at least", n)
	}
}

// TestSchemaAgreesWithLoader checks small flows that both the schema and the loader must
// reject (or both accept), so that editors flag what `wasla validate` flags.
func TestSchemaAgreesWithLoader(t *testing.T) {
	sch := compileSchema(t)
	const head = "flow: f\nsteps:\n"
	tests := []struct {
		name  string
		steps string
		ok    bool
	}{
		{"say", "  - say: hi\n", true},
		{"ask with media", "  - ask: photo?\n    save: photo\n    media: true\n", true},
		{"unknown key", "  - say: hi\n    nxt: x\n", false},
		{"no kind key", "  - id: x\n", false},
		{"two kind keys", "  - say: hi\n    goto: x\n", false},
		{"four buttons", "  - buttons: b\n    options: [{id: a, title: a}, {id: b, title: b}, {id: c, title: c}, {id: d, title: d}]\n", false},
		{"long button title", "  - buttons: b\n    options: [{id: a, title: 'one more than twenty!'}]\n", false},
		{"title with expression", "  - buttons: b\n    options: [{id: a, title: '{{ contact.name }} is here and long'}]\n", true},
		{"arabic title of 20 runes", "  - buttons: b\n    options: [{id: a, title: مرحبا بكم في متجرنا}]\n", true},
		{"eleven rows", "  - list: l\n    button: open\n    rows: [" + strings.Repeat("{id: r, title: r}, ", 10) + "{id: r, title: r}]\n", false},
		{"long row description", "  - list: l\n    button: open\n    rows: [{id: r, title: r, description: " + strings.Repeat("d", 73) + "}]\n", false},
		{"rows and sections", "  - list: l\n    button: open\n    rows: [{id: r, title: r}]\n    sections: [{rows: [{id: s, title: s}]}]\n", false},
		{"bad duration", "  - wait: 5 minutes\n", false},
		{"days", "  - wait: 1d12h\n", true},
		{"bad save name", "  - ask: x\n    save: my name\n", false},
		{"two http methods", "  - http: {get: a, post: b}\n", false},
		{"media id without kind", "  - media: {id: '1'}\n", false},
		{"end false", "  - end: false\n", false},
		{"end text", "  - end: bye\n", true},
		{"handoff queue", "  - handoff: sales\n", true},
		{"http body mapping", "  - http: {post: 'https://x', body: {a: [1, 2]}}\n", true},
		{"set", "  - set: {a: '1', b: 'vars.a + 1'}\n", true},
		{"set bad name", "  - set: {1a: '1'}\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := head + tt.steps
			schemaErr := sch.Validate(yamlInstance(t, []byte(src)))
			_, diags := flows.Parse("f.yaml", []byte(src))
			// Targets that name nothing are the loader's business, not the schema's.
			loaderOK := !diags.HasErrors() || onlyTargetErrors(diags)
			if (schemaErr == nil) != tt.ok {
				t.Errorf("schema accepts = %v, want %v (%v)", schemaErr == nil, tt.ok, schemaErr)
			}
			if loaderOK != tt.ok {
				t.Errorf("loader accepts = %v, want %v:\n%s", loaderOK, tt.ok, diags.Error())
			}
		})
	}
}

func onlyTargetErrors(d flows.Diagnostics) bool {
	for _, x := range d {
		if x.Level == flows.LevelError && !strings.HasPrefix(x.Message, "target ") {
			return false
		}
	}
	return true
}
