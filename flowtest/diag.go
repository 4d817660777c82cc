package flowtest

import (
	"strings"

	"github.com/wasla/wasla/flows"
)

// caretSnippet returns the line at pos with a caret under its column, as flow
// diagnostics show it.
func caretSnippet(lines []string, pos flows.Pos) string {
	if pos.Line <= 0 || pos.Line > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[pos.Line-1], "\r")
	var caret strings.Builder
	n := 0
	for _, r := range line {
		if n >= pos.Col-1 {
			break
		}
		if r == '\t' {
			caret.WriteByte('\t')
		} else {
			caret.WriteByte(' ')
		}
		n++
	}
	caret.WriteByte('^')
	return line + "\n" + caret.String()
}

// didYouMean returns "; did you mean `x`?" for the candidate closest to got when it is a
// likely misspelling, or otherwise "; expected one of a, b, c".
func didYouMean(got string, candidates []string) string {
	if s := suggest(got, candidates); s != "" {
		return "; did you mean `" + s + "`?"
	}
	return "; expected one of " + strings.Join(candidates, ", ")
}

// suggest returns the candidate closest to got when it is close enough to be a likely
// misspelling, or "".
func suggest(got string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(got), strings.ToLower(c)); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 1
	switch n := len([]rune(got)); {
	case n > 8:
		limit = 3
	case n > 4:
		limit = 2
	}
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of neighbouring
// characters that turn a into b (so "nmae" is one step from "name").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
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
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
