package expr

import (
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// locator maps a character (rune) offset of a compiled text to its position in the file.
type locator func(off int) Pos

// textLocator places src verbatim at pos: characters advance the column, new lines start
// again at column 1.
func textLocator(src string, pos Pos) locator {
	return func(off int) Pos {
		p := pos
		n := 0
		for _, r := range src {
			if n == off {
				break
			}
			if r == '\n' {
				p.Line++
				p.Col = 1
			} else {
				p.Col++
			}
			n++
		}
		return p
	}
}

// scalarLocator maps offsets of node.Value back into the file. YAML has already decoded the
// scalar (quotes, escapes, folding, block indentation), so the mapping is rebuilt by walking
// the raw source from the node's position alongside the decoded value. When the walk and the
// value disagree (a construct the walk does not model) or the lines are unknown, the error
// falls back to the scalar's own position: a little less precise, never wrong about the
// scalar.
func (s *Source) scalarLocator(node *yaml.Node) locator {
	start := Pos{File: s.File, Line: node.Line, Col: node.Column}
	lines := s.Lines
	if lines == nil {
		lines = syntheticLines(node)
	}
	return func(off int) Pos {
		if lines == nil {
			return start
		}
		line, col, ok := locateInScalar(lines, node, off)
		if !ok {
			return start
		}
		return Pos{File: s.File, Line: line, Col: col}
	}
}

// syntheticLines rebuilds the source of a one-line scalar when the caller did not give the
// file's lines. It cannot for block scalars, multi-line values, tagged nodes, or double
// quotes whose value holds characters that may have been written as escapes: those
// errors point at the scalar's start.
func syntheticLines(node *yaml.Node) []string {
	if node.Line < 1 || node.Column < 1 || strings.ContainsAny(node.Value, "\n\r") ||
		node.Style&(yaml.TaggedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return nil
	}
	var raw string
	switch {
	case node.Style&yaml.DoubleQuotedStyle != 0:
		for _, r := range node.Value {
			if r == '"' || r == '\\' || !unicode.IsPrint(r) {
				return nil
			}
		}
		raw = `"` + node.Value + `"`
	case node.Style&yaml.SingleQuotedStyle != 0:
		raw = "'" + strings.ReplaceAll(node.Value, "'", "''") + "'"
	default:
		raw = node.Value
	}
	lines := make([]string, node.Line)
	lines[node.Line-1] = strings.Repeat(" ", node.Column-1) + raw
	return lines
}

// scalarWalk walks the raw text of a scalar in the file.
type scalarWalk struct {
	lines []string
	l     int    // current line, 0-based
	rs    []rune // runes of the current line
	c     int    // current column, 0-based
}

func (w *scalarWalk) setLine(l int) bool {
	if l < 0 || l >= len(w.lines) {
		return false
	}
	w.l, w.rs, w.c = l, []rune(w.lines[l]), 0
	return true
}

// skipSpaces skips up to max spaces (and tabs when tabs is set); max < 0 means no limit.
func (w *scalarWalk) skipSpaces(max int, tabs bool) {
	for n := 0; w.c < len(w.rs) && (max < 0 || n < max); n++ {
		if r := w.rs[w.c]; r != ' ' && !(tabs && r == '\t') {
			return
		}
		w.c++
	}
}

// skipProperties skips a tag (!!str) or anchor (&a) in front of a scalar.
func (w *scalarWalk) skipProperties() {
	for w.c < len(w.rs) && (w.rs[w.c] == '!' || w.rs[w.c] == '&') {
		for w.c < len(w.rs) && w.rs[w.c] != ' ' && w.rs[w.c] != '\t' {
			w.c++
		}
		w.skipSpaces(-1, true)
	}
}

func (w *scalarWalk) restIsSpace() bool {
	for _, r := range w.rs[w.c:] {
		if r != ' ' && r != '\t' {
			return false
		}
	}
	return true
}

// locateInScalar returns the 1-based line and column of rune off of node.Value. An offset at
// or past the end of the value points just after its last visible character.
func locateInScalar(lines []string, node *yaml.Node, off int) (line, col int, ok bool) {
	vr := []rune(node.Value)
	target, after := max(off, 0), 0
	if off >= len(vr) {
		target = len(vr) - 1
		for target >= 0 && (vr[target] == '\n' || vr[target] == ' ' || vr[target] == '\t') {
			target--
		}
		after = 1
	}
	found := false
	startLine, startCol, ok := walkScalar(lines, node, func(i, l, c int) bool {
		if i == target {
			line, col, found = l, c+after, true
			return false
		}
		return true
	})
	switch {
	case found:
		return line, col, true
	case ok && target < 0: // empty or blank value: point at where it starts
		return startLine, startCol, true
	}
	return 0, 0, false
}

// walkScalar calls visit with the 1-based position in the file of each rune of node.Value,
// in order, until visit returns false. It returns where the value starts, and false when the
// raw text and the value disagree before the walk ends.
func walkScalar(lines []string, node *yaml.Node, visit func(i, line, col int) bool) (startLine, startCol int, ok bool) {
	vr := []rune(node.Value)
	w := &scalarWalk{lines: lines}
	if !w.setLine(node.Line - 1) {
		return startLine, startCol, false
	}
	w.c = node.Column - 1
	if w.c < 0 || w.c > len(w.rs) {
		return startLine, startCol, false
	}
	block := node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	double := node.Style&yaml.DoubleQuotedStyle != 0
	single := node.Style&yaml.SingleQuotedStyle != 0
	indent := 0
	switch {
	case block:
		var found bool
		if indent, found = w.startBlock(vr); !found {
			return startLine, startCol, false
		}
	case double || single:
		q := '"'
		if single {
			q = '\''
		}
		for w.c < len(w.rs) && w.rs[w.c] != q {
			w.c++
		}
		if w.c == len(w.rs) {
			return startLine, startCol, false
		}
		w.c++
	default:
		w.skipProperties()
	}
	startLine, startCol = w.l+1, w.c+1

	i := 0
	for i < len(vr) {
		atEOL := w.c >= len(w.rs) || (!block && w.restIsSpace())
		if atEOL {
			// A line break inside the scalar: folded to a space, kept as "\n" (or as the
			// Unicode line or paragraph separator that made it), or dropped.
			if r := vr[i]; r == ' ' || r == '\n' || r == '\u2028' || r == '\u2029' {
				if !visit(i, w.l+1, w.c+1) {
					return startLine, startCol, true
				}
				i++
			}
			if !w.setLine(w.l + 1) {
				return startLine, startCol, false
			}
			if block {
				w.skipSpaces(indent, false)
			} else {
				w.skipSpaces(-1, true)
			}
			continue
		}
		r := w.rs[w.c]
		width := 1
		switch {
		case double && r == '\\':
			if w.c+1 >= len(w.rs) { // escaped line break: joins the lines without a space
				if !w.setLine(w.l + 1) {
					return startLine, startCol, false
				}
				w.skipSpaces(-1, true)
				continue
			}
			var ok bool
			if r, width, ok = decodeEscape(w.rs[w.c+1:]); !ok {
				return startLine, startCol, false
			}
			width++
		case double && r == '"', single && r == '\'' && (w.c+1 >= len(w.rs) || w.rs[w.c+1] != '\''):
			return startLine, startCol, false // the closing quote before the value ended
		case single && r == '\'':
			width = 2 // '' is one quote
		}
		if r != vr[i] {
			return startLine, startCol, false
		}
		if !visit(i, w.l+1, w.c+1) {
			return startLine, startCol, true
		}
		i++
		w.c += width
	}
	return startLine, startCol, true
}

// startBlock moves past a block scalar's header (| or > with indicators) to its first
// content line and returns the content indentation, measured against the value: the first
// non-blank source line holds the first non-empty value line after the indentation.
func (w *scalarWalk) startBlock(vr []rune) (indent int, ok bool) {
	for w.c < len(w.rs) && w.rs[w.c] != '|' && w.rs[w.c] != '>' {
		w.c++
	}
	if w.c == len(w.rs) {
		return 0, false
	}
	header := w.l
	valueIndent := 0
	for _, line := range strings.Split(string(vr), "\n") {
		if strings.TrimLeft(line, " ") != "" {
			valueIndent = len(line) - len(strings.TrimLeft(line, " "))
			break
		}
	}
	for l := header + 1; l < len(w.lines); l++ {
		if t := strings.TrimLeft(w.lines[l], " "); t != "" {
			indent = len(w.lines[l]) - len(t) - valueIndent
			break
		}
	}
	if indent < 0 || !w.setLine(header+1) {
		return 0, false
	}
	w.skipSpaces(indent, false)
	return indent, true
}

// decodeEscape decodes a YAML double-quoted escape; rs starts after the backslash. It
// returns the rune and how many runes after the backslash the escape used.
func decodeEscape(rs []rune) (rune, int, bool) {
	simple := map[rune]rune{
		'0': 0, 'a': '\a', 'b': '\b', 't': '\t', '\t': '\t', 'n': '\n', 'v': '\v', 'f': '\f',
		'r': '\r', 'e': 0x1b, ' ': ' ', '"': '"', '/': '/', '\\': '\\', 'N': 0x85,
		'_': 0xa0, 'L': 0x2028, 'P': 0x2029,
	}
	if r, ok := simple[rs[0]]; ok {
		return r, 1, true
	}
	digits := map[rune]int{'x': 2, 'u': 4, 'U': 8}[rs[0]]
	if digits == 0 || len(rs) < 1+digits {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(rs[1:1+digits]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 1 + digits, true
}
