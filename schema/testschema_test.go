package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/flowtest"
)

// documents reads every YAML document of a test file as the JSON value an editor validates;
// empty documents (after a trailing ---) are skipped, as the parser skips them.
func documents(t *testing.T, data []byte) []any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if v == nil {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("document %d cannot be read as JSON: %v", len(out)+1, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, inst)
	}
}

// TestTestSchemaAcceptsGoodTests validates every document of every example test file, and
// of every test fixture the parser accepts, against test.schema.json.
func TestTestSchemaAcceptsGoodTests(t *testing.T) {
	sch := compileFile(t, "test.schema.json", TestsFile())
	examples := globAll(t, "../examples/*/*.test.yaml", "../examples/*/*.test.yml")
	fixtures := globAll(t,
		"../engine/testdata/*/*/*.test.yaml",
		"../flowtest/testdata/*/*.test.yaml",
		"../internal/cli/testdata/*/*.test.yaml",
	)
	docs := 0
	for _, p := range append(examples, fixtures...) {
		example := strings.HasPrefix(p, "../examples/")
		t.Run(p, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if _, diags := flowtest.ParseFile(p, data); len(diags) > 0 {
				if example {
					t.Fatalf("the example does not parse:\n%v", diags.Error())
				}
				return // a fixture of a broken test file
			}
			for i, doc := range documents(t, data) {
				docs++
				if err := sch.Validate(doc); err != nil {
					t.Errorf("document %d does not validate against the schema:\n%v", i+1, err)
				}
			}
		})
	}
	if len(examples) < 30 || docs < 100 {
		t.Fatalf("validated %d documents of %d example files; want every example test", docs, len(examples))
	}
}

func globAll(t *testing.T, patterns ...string) []string {
	t.Helper()
	var out []string
	for _, pattern := range patterns {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}

// TestTestSchemaAgreesWithParser checks small test documents that both the schema and the
// parser must reject (or both accept), so that editors flag what `wasla test` flags.
func TestTestSchemaAgreesWithParser(t *testing.T) {
	sch := compileFile(t, "test.schema.json", TestsFile())
	const head = "test: t\n"
	const user = "steps:\n  - user: hi\n"
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"minimal", head + user, true},
		{"number as name", "test: 42\n" + user, true},
		{"no name", user, false},
		{"blank name", "test: ' '\n" + user, false},
		{"no steps", head, false},
		{"empty steps", head + "steps: []\n", false},
		{"unknown key", head + "tset: x\n" + user, false},
		{"contact", head + "contact: { id: '966500000002', name: Sara, language: ar, tags: [vip] }\n" + user, true},
		{"contact one tag", head + "contact: { tags: vip }\n" + user, true},
		{"contact unknown key", head + "contact: { phone: '1' }\n" + user, false},
		{"contact blank tag", head + "contact: { tags: [''] }\n" + user, false},
		{"number campaign vars", head + "number: shop\ncampaign: ramadan\nvars: { city: Riyadh, n: 2, list: [1] }\n" + user, true},
		{"start", head + "start: 2026-03-01T10:00:00+03:00\n" + user, true},
		{"start UTC", head + "start: 2026-03-01T10:00:00Z\n" + user, true},
		{"start without zone", head + "start: 2026-03-01 10:00\n" + user, false},
		{"mocks", head + "mocks:\n  \"GET https://shop.example/a\": { ok: true }\n  \"post https://shop.example/b\": { $status: 500 }\n  \"GET https://slow.example/\": { $error: timeout }\n  \"GET https://text.example/\": plain words\n  \"PUT https://list.example/\": [1, 2]\n" + user, true},
		{"mock status as text", head + "mocks:\n  \"GET https://x.example/\": { $status: '404' }\n" + user, true},
		{"mock unknown method", head + "mocks:\n  \"FETCH https://x.example/\": {}\n" + user, false},
		{"mock without URL", head + "mocks:\n  \"GET\": {}\n" + user, false},
		{"mock not http", head + "mocks:\n  \"GET ftp://x.example/\": {}\n" + user, false},
		{"mock unknown $ key", head + "mocks:\n  \"GET https://x.example/\": { $stauts: 404 }\n" + user, false},
		{"mock bad status", head + "mocks:\n  \"GET https://x.example/\": { $status: 42 }\n" + user, false},
		{"every step", head + "steps:\n" +
			"  - user: 123456\n  - press: ORDER\n  - choose: ROW\n  - media: image\n  - media: { document: my receipt }\n" +
			"  - location: [24.7, 46.7]\n  - bot: exact\n  - bot: contains \"part\"\n  - bot: regex \"^a \\d+\"\n" +
			"  - bot: { text: hi, buttons: [a, b] }\n  - bot: { list: [a] }\n  - bot: { template: reminder }\n  - bot: { media: image }\n" +
			"  - no_reply: true\n  - vars: { a: 1 }\n  - tags: [vip]\n  - no_tags: lead\n  - handoff: sales\n  - handoff: true\n" +
			"  - opted_out: false\n  - time: +25h\n  - time: 30m\n  - time: 1d12h\n  - time: 2d\n", true},
		{"unknown step", head + "steps:\n  - usr: hi\n", false},
		{"two keys in a step", head + "steps:\n  - user: hi\n    bot: hello\n", false},
		{"empty step", head + "steps:\n  - {}\n", false},
		{"step not a mapping", head + "steps:\n  - hi\n", false},
		{"unknown media kind", head + "steps:\n  - media: photo\n", false},
		{"two captions", head + "steps:\n  - media: { image: a, video: b }\n", false},
		{"caption of an unknown kind", head + "steps:\n  - media: { photo: a }\n", false},
		{"location out of range", head + "steps:\n  - location: [100, 46.7]\n", false},
		{"location of one number", head + "steps:\n  - location: [24.7]\n", false},
		{"location not numbers", head + "steps:\n  - location: [north, east]\n", false},
		{"bot buttons and list", head + "steps:\n  - bot: { buttons: [a], list: [b] }\n", false},
		{"bot empty mapping", head + "steps:\n  - bot: {}\n", false},
		{"bot unknown key", head + "steps:\n  - bot: { buttns: [a] }\n", false},
		{"bot unknown media", head + "steps:\n  - bot: { media: photo }\n", false},
		{"bot nothing", head + "steps:\n  - bot:\n", false},
		{"no_reply false", head + "steps:\n  - no_reply: false\n", false},
		{"vars empty", head + "steps:\n  - vars: {}\n", false},
		{"opted_out text", head + "steps:\n  - opted_out: yes please\n", false},
		{"time without unit", head + "steps:\n  - time: 30\n", false},
		{"time words", head + "steps:\n  - time: soon\n", false},
		{"time plus only", head + "steps:\n  - time: '+'\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := documents(t, []byte(tt.doc))
			if len(docs) != 1 {
				t.Fatalf("%d documents, want 1", len(docs))
			}
			schemaErr := sch.Validate(docs[0])
			_, diags := flowtest.ParseFile("t.test.yaml", []byte(tt.doc))
			if (schemaErr == nil) != tt.ok {
				t.Errorf("schema accepts = %v, want %v (%v)", schemaErr == nil, tt.ok, schemaErr)
			}
			if (len(diags) == 0) != tt.ok {
				t.Errorf("parser accepts = %v, want %v:\n%s", len(diags) == 0, tt.ok, diags.Error())
			}
		})
	}
}

// TestTestSchemaDocumentsEveryKey requires a description on every key, which editors show
// on hover and beside completions.
func TestTestSchemaDocumentsEveryKey(t *testing.T) {
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				for name, p := range props {
					if d, _ := p.(map[string]any)["description"].(string); d == "" {
						t.Errorf("%s.%s has no description", path, name)
					}
				}
			}
			for k, x := range v {
				walk(path+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path, x)
			}
		}
	}
	var root any
	if err := json.Unmarshal(TestsFile(), &root); err != nil {
		t.Fatal(err)
	}
	walk("#", root)
	if d, _ := root.(map[string]any)["description"].(string); d == "" {
		t.Errorf("the schema has no description")
	}
}
