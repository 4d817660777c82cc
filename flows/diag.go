package flows

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Level says whether a diagnostic stops a flow set from loading.
type Level int

// Diagnostic levels.
const (
	LevelError   Level = iota // the set does not load
	LevelWarning              // the set loads; the author probably made a mistake
)

// Diagnostic is one problem found while loading flows, at a place in a file.
type Diagnostic struct {
	Pos     Pos
	Level   Level
	Message string
	// Snippet is the source line with a caret under the column (several lines for
	// expression errors); empty when the place has no source line.
	Snippet string
}

// String formats the diagnostic as editors and CI annotations expect:
// `file:line:col: message`, with `warning: ` before the message of a warning. The
// snippet is not included.
func (d Diagnostic) String() string {
	msg := d.Message
	if d.Level == LevelWarning {
		msg = "warning: " + msg
	}
	switch {
	case d.Pos.Line <= 0:
		return fmt.Sprintf("%s: %s", d.Pos.File, msg)
	case d.Pos.Col <= 0:
		return fmt.Sprintf("%s:%d: %s", d.Pos.File, d.Pos.Line, msg)
	default:
		return fmt.Sprintf("%s:%d:%d: %s", d.Pos.File, d.Pos.Line, d.Pos.Col, msg)
	}
}

// Diagnostics are all the problems of a load, sorted by file and position.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error (not a warning).
func (d Diagnostics) HasErrors() bool {
	for _, x := range d {
		if x.Level == LevelError {
			return true
		}
	}
	return false
}

// Count returns the number of errors and of warnings.
func (d Diagnostics) Count() (errs, warnings int) {
	for _, x := range d {
		if x.Level == LevelError {
			errs++
		} else {
			warnings++
		}
	}
	return errs, warnings
}

// Error returns every diagnostic on its own line, without snippets, so that Diagnostics can
// be returned as an error.
func (d Diagnostics) Error() string {
	lines := make([]string, len(d))
	for i, x := range d {
		lines[i] = x.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns the diagnostics as an error when they hold an error, or nil.
func (d Diagnostics) Err() error {
	if d.HasErrors() {
		return d
	}
	return nil
}

// Print writes every diagnostic, each followed by its snippet indented by four spaces.
func (d Diagnostics) Print(w io.Writer) error {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.String())
		b.WriteByte('\n')
		if x.Snippet != "" {
			for _, line := range strings.Split(strings.TrimRight(x.Snippet, "\n"), "\n") {
				b.WriteString("    ")
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sort orders diagnostics by file (in load order), line and column, keeping the order of
// those at the same place.
func (d Diagnostics) sort(fileOrder map[string]int) {
	slices.SortStableFunc(d, func(a, b Diagnostic) int {
		if a.Pos.File != b.Pos.File {
			oa, okA := fileOrder[a.Pos.File]
			ob, okB := fileOrder[b.Pos.File]
			if okA && okB {
				return cmp.Compare(oa, ob)
			}
			return strings.Compare(a.Pos.File, b.Pos.File)
		}
		if c := cmp.Compare(a.Pos.Line, b.Pos.Line); c != 0 {
			return c
		}
		return cmp.Compare(a.Pos.Col, b.Pos.Col)
	})
}

// snippetWidth bounds the characters of a snippet line; longer lines are cut around the
// column, with … marking what was left out.
const snippetWidth = 120

// Snippet returns the line of a file at pos with a caret under its column, the snippet of
// a Diagnostic; "" when pos is not on a line with text. Columns count characters, as
// yaml.v3 does; tabs before the column are kept so the caret lines up. Lines longer than
// 120 characters are cut around the column, with … marking what was left out. Packages
// that report problems in their own YAML files (conversation tests) show them the same way.
func Snippet(lines []string, pos Pos) string {
	if pos.Line <= 0 || pos.Line > len(lines) {
		return ""
	}
	line := []rune(strings.TrimRight(lines[pos.Line-1], "\r"))
	if strings.TrimSpace(string(line)) == "" {
		return ""
	}
	col := min(max(pos.Col-1, 0), len(line))
	prefix, suffix := "", ""
	if len(line) > snippetWidth {
		start := max(0, col-snippetWidth/3)
		end := min(len(line), start+snippetWidth)
		if start > 0 {
			prefix = "…"
		}
		if end < len(line) {
			suffix = "…"
		}
		line, col = line[start:end], col-start
	}
	// The caret goes under the col-th character of the cut line, past the one-character
	// prefix when there is one.
	if prefix != "" {
		col++
	}
	return Caret(prefix+string(line)+suffix, col+1)
}

// Suggest returns the candidate closest to word, or "" when none is close enough to be the
// likely intent: within one edit for words of up to 4 characters, two up to 8, three
// beyond. It ignores case, and counts a swap of neighbouring characters as one edit, so
// "nmae" suggests "name". Every "did you mean" of wasla's loaders comes from here.
func Suggest(word string, candidates []string) string {
	lw := strings.ToLower(word)
	best, bestD := "", -1
	for _, c := range candidates {
		if c == word {
			continue
		}
		d := editDistance(lw, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return ""
	}
	n := len([]rune(word))
	limit := 1
	switch {
	case n > 8:
		limit = 3
	case n > 4:
		limit = 2
	}
	if bestD > limit {
		return ""
	}
	return best
}

// didYouMean returns "; did you mean `x`?" for the closest candidate, or "".
func didYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return "; did you mean `" + s + "`?"
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b, counted in runes:
// insertions, deletions, substitutions and swaps of neighbours cost one each.
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
