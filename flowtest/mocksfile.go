package flowtest

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/yamlfile"
)

// A mocks file (*.mocks.yaml beside the flows) answers http steps the way a conversation
// test's `mocks:` do, so that `wasla simulate` can try a flow set whose back end is not
// reachable from the terminal: the simulator uses it unless told to call the real
// endpoints.

// IsMocksFile reports whether a file name is a mocks file.
func IsMocksFile(name string) bool {
	return strings.HasSuffix(name, ".mocks.yaml") || strings.HasSuffix(name, ".mocks.yml")
}

// ReadMocks reads and parses the mocks file at path.
func ReadMocks(path string) ([]*Mock, yamlfile.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, yamlfile.Diagnostics{{Pos: yamlfile.Pos{File: path}, Level: yamlfile.LevelError, Code: yamlfile.CodeIO, Message: fmt.Sprintf("reading mocks file: %v", errors.Unwrap(err))}}
	}
	return ParseMocks(path, data)
}

// ParseMocks parses a mocks file: one mapping whose only key, mocks, holds answers in the
// format of a conversation test's mocks.
func ParseMocks(file string, data []byte) (mocks []*Mock, diags yamlfile.Diagnostics) {
	p := newParser(file, data)
	defer func() {
		if r := recover(); r != nil { // yaml.v3 can panic on hostile input
			p.errorAt(yamlfile.CodeYAMLSyntax, yamlfile.Pos{File: file, Line: 1, Col: 1}, "invalid YAML: %v", r)
			mocks, diags = nil, p.diags
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.syntaxError(err)
		return nil, p.diags
	}
	if len(doc.Content) == 0 {
		p.errorAt(yamlfile.CodeYAMLSyntax, yamlfile.Pos{File: file, Line: 1, Col: 1}, "the mocks file is empty: write `mocks:` and one \"METHOD URL\": answer per line")
		return nil, p.diags
	}
	p.pairs(doc.Content[0], p.defs.MocksFile.What, p.defs.MocksFile.Names(), func(_ string, _, v *yaml.Node) {
		mocks = p.mocks(v)
	})
	return mocks, p.diags
}

// NewMockDoer returns an HTTPDoer that answers from mocks and never touches the network;
// a request without a mock fails as a connection error would.
func NewMockDoer(mocks []*Mock) engine.HTTPDoer { return newMockDoer(mocks) }
