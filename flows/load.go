package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/yamlfile"
)

// Load reads the flow files at paths (each a file, or a folder searched recursively for
// *.yaml and *.yml files that are not *.test.yaml or *.test.yml conversation tests),
// validates them together and returns the Set. Every problem is reported, not only the
// first; the Set is nil when the diagnostics hold an error. Warnings alone do not stop a
// load.
func Load(paths ...string) (*Set, Diagnostics) {
	return loadFrom(osFiles{}, paths)
}

// LoadFS is Load on a file system: paths are slash-separated and relative to fsys.
func LoadFS(fsys fs.FS, paths ...string) (*Set, Diagnostics) {
	return loadFrom(fsFiles{fsys}, paths)
}

func loadFrom(r files, paths []string) (*Set, Diagnostics) {
	var srcs []source
	var diags Diagnostics
	for _, p := range paths {
		found, err := collect(r, p)
		if err != nil {
			diags = append(diags, Diagnostic{Pos: Pos{File: p}, Level: LevelError, Code: yamlfile.CodeIO, Message: err.Error()})
			continue
		}
		srcs = append(srcs, found...)
	}
	return build(srcs, diags)
}

// Parse loads a set made of one file's content, named file in diagnostics. It does no I/O;
// tests and the fuzzer use it.
func Parse(file string, data []byte) (*Set, Diagnostics) {
	return build([]source{{name: file, data: data}}, nil)
}

// ParseFiles loads a set from file contents keyed by name, in name order.
func ParseFiles(files map[string][]byte) (*Set, Diagnostics) {
	srcs := make([]source, 0, len(files))
	for name, data := range files {
		srcs = append(srcs, source{name: name, data: data})
	}
	slices.SortFunc(srcs, func(a, b source) int { return strings.Compare(a.name, b.name) })
	return build(srcs, nil)
}

// IsFlowFile reports whether a file name is a flow file: *.yaml or *.yml but not a
// conversation test (*.test.yaml, *.test.yml), a simulator's mocks file (*.mocks.yaml,
// *.mocks.yml) or a campaign file (*.campaign.yaml, *.campaign.yml).
func IsFlowFile(name string) bool {
	for _, not := range []string{".test.yaml", ".test.yml", ".mocks.yaml", ".mocks.yml", ".campaign.yaml", ".campaign.yml"} {
		if strings.HasSuffix(name, not) {
			return false
		}
	}
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

type source struct {
	name string
	data []byte
}

// files is where flow files are read from: the OS or an fs.FS.
type files interface {
	stat(name string) (fs.FileInfo, error)
	read(name string) ([]byte, error)
	walk(root string, fn fs.WalkDirFunc) error
}

type osFiles struct{}

func (osFiles) stat(name string) (fs.FileInfo, error)     { return os.Stat(name) }
func (osFiles) read(name string) ([]byte, error)          { return os.ReadFile(name) }
func (osFiles) walk(root string, fn fs.WalkDirFunc) error { return filepath.WalkDir(root, fn) }

type fsFiles struct{ fsys fs.FS }

func (r fsFiles) stat(name string) (fs.FileInfo, error)     { return fs.Stat(r.fsys, name) }
func (r fsFiles) read(name string) ([]byte, error)          { return fs.ReadFile(r.fsys, name) }
func (r fsFiles) walk(root string, fn fs.WalkDirFunc) error { return fs.WalkDir(r.fsys, root, fn) }

// collect reads path: the file itself, or every flow file under a folder, in lexical
// order (the order WalkDir visits).
func collect(r files, path string) ([]source, error) {
	info, err := r.stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading flows: %w", unwrapPathError(err))
	}
	if !info.IsDir() {
		data, err := r.read(path)
		if err != nil {
			return nil, fmt.Errorf("reading flows: %w", unwrapPathError(err))
		}
		return []source{{name: path, data: data}}, nil
	}
	var srcs []source
	err = r.walk(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !IsFlowFile(d.Name()) {
			return nil
		}
		data, err := r.read(p)
		if err != nil {
			return err
		}
		srcs = append(srcs, source{name: p, data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading flows: %w", unwrapPathError(err))
	}
	if len(srcs) == 0 {
		return nil, errors.New("no flow files (*.yaml, *.yml) in this folder")
	}
	return srcs, nil
}

// unwrapPathError drops the path from an fs.PathError, which the diagnostic names already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// file is one flow file being loaded.
type file struct {
	l     *loader
	name  string
	lines []string
	src   *expr.Source // the same lines, for positioning errors inside expressions
}

func (f *file) pos(n *yaml.Node) Pos {
	return Pos{File: f.name, Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func (f *file) errorAt(code yamlfile.Code, n *yaml.Node, format string, args ...any) {
	f.report(LevelError, code, f.pos(n), fmt.Sprintf(format, args...))
}

func (f *file) warnAt(code yamlfile.Code, n *yaml.Node, format string, args ...any) {
	f.report(LevelWarning, code, f.pos(n), fmt.Sprintf(format, args...))
}

func (f *file) report(level Level, code yamlfile.Code, pos Pos, msg string) {
	f.l.diags = append(f.l.diags, Diagnostic{Pos: pos, Level: level, Code: code, Message: msg, Snippet: yamlfile.Snippet(f.lines, pos)})
}

// exprError turns a compile error into a diagnostic.
func (f *file) exprError(n *yaml.Node, err error) {
	var ee *expr.ExprError
	if errors.As(err, &ee) {
		pos := ee.Pos
		if pos.File == "" {
			pos.File = f.name
		}
		if pos.Line <= 0 {
			pos.Line, pos.Col = max(n.Line, 1), max(n.Column, 1)
		}
		pos.Col = max(pos.Col, 1)
		snippet := ee.Snippet
		if snippet == "" {
			snippet = yamlfile.Snippet(f.lines, pos)
		}
		f.l.diags = append(f.l.diags, Diagnostic{Pos: pos, Level: LevelError, Code: yamlfile.CodeExpression, Message: ee.Msg, Snippet: snippet})
		return
	}
	f.errorAt(yamlfile.CodeExpression, n, "%v", err)
}

// parseYAML reads a file's one YAML document. Syntax errors are reported with the line
// yaml.v3 names (it gives no column).
func (f *file) parseYAML(data []byte) (root *yaml.Node) {
	defer func() {
		// yaml.v3 is not maintained; a panic on hostile input must not take the
		// process down.
		if r := recover(); r != nil {
			f.report(LevelError, yamlfile.CodeYAMLSyntax, Pos{File: f.name, Line: 1, Col: 1}, fmt.Sprintf("invalid YAML: %v", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			f.report(LevelError, yamlfile.CodeYAMLSyntax, Pos{File: f.name, Line: 1, Col: 1}, "the file is empty; want a mapping with `flow:` or `settings:`")
			return nil
		}
		f.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		at := &extra
		if len(extra.Content) > 0 {
			at = extra.Content[0]
		}
		f.errorAt(yamlfile.CodeYAMLSyntax, at, "a flow file holds one YAML document; this is another (put each flow in its own file)")
	case !errors.Is(err, io.EOF):
		f.syntaxError(err)
	}
	if len(doc.Content) == 0 {
		f.report(LevelError, yamlfile.CodeYAMLSyntax, Pos{File: f.name, Line: 1, Col: 1}, "the file is empty; want a mapping with `flow:` or `settings:`")
		return nil
	}
	return doc.Content[0]
}

func (f *file) syntaxError(err error) {
	for _, se := range yamlfile.SyntaxErrors(err) {
		line := max(se.Line, 1)
		if len(f.lines) > 0 {
			line = min(line, len(f.lines))
		}
		f.report(LevelError, yamlfile.CodeYAMLSyntax, Pos{File: f.name, Line: line, Col: 1}, "invalid YAML: "+se.Msg)
	}
}
