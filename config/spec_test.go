package config

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// TestSpecAndLoaderAgree loads testdata/full.yaml, which holds every key of FormatSpec: a
// key the spec documents but the loader does not read, or one the loader reads but the
// spec (and so the schema) lacks, fails here.
func TestSpecAndLoaderAgree(t *testing.T) {
	data, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("testdata/full.yaml", data, nil); err != nil {
		t.Fatalf("full.yaml does not load:\n%v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{} // key paths full.yaml holds, over all list items
	var seen func(path string, s *yamlfile.Spec, n *yaml.Node)
	seen = func(path string, s *yamlfile.Spec, n *yaml.Node) {
		switch s.Kind {
		case yamlfile.KindObject:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if f := s.Field(n.Content[i].Value); f != nil {
					present[path+f.Name] = true
					seen(path+f.Name+".", f.Spec, n.Content[i+1])
				}
			}
		case yamlfile.KindList, yamlfile.KindMap:
			for i, item := range n.Content {
				if s.Kind == yamlfile.KindList || i%2 == 1 {
					seen(path, s.Elem, item)
				}
			}
		}
	}
	seen("", FormatSpec(), doc.Content[0])
	var want func(path string, s *yamlfile.Spec)
	want = func(path string, s *yamlfile.Spec) {
		for _, f := range s.Fields {
			if !present[path+f.Name] {
				t.Errorf("full.yaml lacks %s%s", path, f.Name)
			}
			want(path+f.Name+".", f.Spec)
		}
		if s.Elem != nil {
			want(path, s.Elem)
		}
	}
	want("", FormatSpec())
}
