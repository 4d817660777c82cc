package config

import (
	"cmp"
	"slices"
	"strings"

	"github.com/wasla/wasla/flows"
)

// Diagnostic is one problem of a configuration file.
type Diagnostic struct {
	File    string
	Line    int // 1-based; 0 when the problem has no place (an unreadable file)
	Col     int
	Message string
}

// String formats the diagnostic as `file:line:col: message`, the form editors and CI
// annotate, exactly as a flow diagnostic is formatted.
func (d Diagnostic) String() string {
	return flows.Diagnostic{Pos: flows.Pos{File: d.File, Line: d.Line, Col: d.Col}, Message: d.Message}.String()
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

func (ds Diagnostics) sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// didYouMean returns "; did you mean `x`?" for the candidate closest to word (flows.Suggest,
// so a misspelt key gets the same hint in a configuration as in a flow), or "" when none is
// close enough to be the likely intent.
func didYouMean(word string, candidates []string) string {
	if s := flows.Suggest(word, candidates); s != "" {
		return "; did you mean `" + s + "`?"
	}
	return ""
}
