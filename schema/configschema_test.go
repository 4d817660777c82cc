package schema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/yamlfile"
)

// TestConfigSchemaAcceptsExample validates wasla.example.yaml and config/testdata/full.yaml
// (every key once), which the loader accepts (config's tests load them), against
// config.schema.json, and checks the example's modeline.
func TestConfigSchemaAcceptsExample(t *testing.T) {
	sch := compileFile(t, "config.schema.json", ConfigFile())
	data, err := os.ReadFile(filepath.Join("..", "wasla.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlInstance(t, data)); err != nil {
		t.Errorf("wasla.example.yaml fails config.schema.json: %v", err)
	}
	full, err := os.ReadFile(filepath.Join("..", "config", "testdata", "full.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(yamlInstance(t, full)); err != nil {
		t.Errorf("config/testdata/full.yaml (every key) fails config.schema.json: %v", err)
	}
	const modeline = "# yaml-language-server: $schema=schema/config.schema.json"
	if !strings.Contains(string(data), modeline+"\n") {
		t.Errorf("wasla.example.yaml lacks the modeline %q", modeline)
	}
}

// TestConfigSchemaAgreesWithLoader gives the schema and the loader the same broken files:
// each is rejected by both, so an editor underlines what wasla serve refuses.
func TestConfigSchemaAgreesWithLoader(t *testing.T) {
	sch := compileFile(t, "config.schema.json", ConfigFile())
	const good = `flows: flows
whatsapp: {app_secret: s, verify_token: v}
numbers:
  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "2001", token: T}
`
	if _, err := config.Parse("c.yaml", []byte(good), nil); err != nil {
		t.Fatalf("the base file does not load: %v", err)
	}
	if err := sch.Validate(yamlInstance(t, []byte(good))); err != nil {
		t.Fatalf("the base file fails the schema: %v", err)
	}
	tests := []struct{ name, src string }{
		{"unknown top-level key", good + "lisen: \":80\"\n"},
		{"unknown nested key", good + "log: {levl: debug}\n"},
		{"enum", good + "log: {level: loud}\n"},
		{"duration", good + "limits: {timer_interval: soon}\n"},
		{"whole number", good + "limits: {workers: 0}\n"},
		{"graph version", strings.Replace(good, "verify_token: v}", "verify_token: v, graph_version: \"25\"}", 1)},
		{"number id", strings.Replace(good, `id: "1001"`, `id: "10a1"`, 1)},
		{"missing flows", strings.Replace(good, "flows: flows\n", "", 1)},
		{"template without language", good + "routing: {window_template: {name: x}}\n"},
		{"campaign key", good + "campaigns: {summer: {polcy: link}}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Parse("c.yaml", []byte(tt.src), nil)
			if err == nil {
				t.Errorf("the loader accepts:\n%s", tt.src)
			}
			if err := sch.Validate(yamlInstance(t, []byte(tt.src))); err == nil {
				t.Errorf("the schema accepts:\n%s", tt.src)
			}
		})
	}
}

// TestConfigSpecDocumentsEveryKey requires a description for every key, which editors show
// on hover, and a valid default where one is declared.
func TestConfigSpecDocumentsEveryKey(t *testing.T) {
	var walk func(path string, s *yamlfile.Spec)
	walk = func(path string, s *yamlfile.Spec) {
		for _, f := range s.Fields {
			if f.Doc == "" {
				t.Errorf("%s%s has no doc", path, f.Name)
			}
			walk(path+f.Name+".", f.Spec)
		}
		if s.Elem != nil {
			walk(path, s.Elem)
		}
	}
	walk("", config.FormatSpec())
}
