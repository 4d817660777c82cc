package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Diagnostic is one problem of a configuration file.
type Diagnostic struct {
	File    string
	Line    int // 1-based; 0 when the problem has no place (an unreadable file)
	Col     int
	Message string
}

// String formats the diagnostic as `file:line:col: message`, the form editors and CI
// annotate.
func (d Diagnostic) String() string {
	switch {
	case d.Line <= 0:
		return fmt.Sprintf("%s: %s", d.File, d.Message)
	case d.Col <= 0:
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Message)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Col, d.Message)
	}
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

// didYouMean returns " (did you mean `x`?)" for the candidate closest to word, or "" when
// none is close enough to be the likely intent.
func didYouMean(word string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := 1
	switch n := len([]rune(word)); {
	case n > 8:
		limit = 3
	case n > 4:
		limit = 2
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return "; did you mean `" + best + "`?"
}

// editDistance is the Levenshtein distance between a and b in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
