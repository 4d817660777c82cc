package config

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

func readFile(path string) ([]byte, error) { return os.ReadFile(path) }

func mustNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}
