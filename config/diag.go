package config

import (
	"cmp"
	"slices"
	"strings"

	"github.com/wasla/wasla/yamlfile"
)

// Diagnostic is one problem of a configuration file.
type Diagnostic struct {
	File    string
	Line    int // 1-based; 0 when the problem has no place (an unreadable file)
	Col     int
	Code    yamlfile.Code // what kind of problem, as for flow files; "" counts as invalid
	Message string
}

// String formats the diagnostic as `file:line:col: message`, the form editors and CI
// annotate, exactly as a flow diagnostic is formatted.
func (d Diagnostic) String() string {
	return d.yamlfile().String()
}

func (d Diagnostic) yamlfile() yamlfile.Diagnostic {
	code := d.Code
	if code == "" {
		code = yamlfile.CodeInvalid
	}
	return yamlfile.Diagnostic{Pos: yamlfile.Pos{File: d.File, Line: d.Line, Col: d.Col}, Code: code, Message: d.Message}
}

// Diagnostics are every problem Load found, in file order. It is the error Load returns.
type Diagnostics []Diagnostic

// Error returns one diagnostic per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Positioned returns the diagnostics in the form every file format shares, for printing
// with snippets or as JSON.
func (ds Diagnostics) Positioned() yamlfile.Diagnostics {
	out := make(yamlfile.Diagnostics, len(ds))
	for i, d := range ds {
		out[i] = d.yamlfile()
	}
	return out
}

func (ds Diagnostics) sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}
