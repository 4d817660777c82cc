package yamlfile

import (
	"strings"
	"unicode/utf8"
)

// snippetWidth bounds the characters of a snippet line; longer lines are cut around the
// column, with … marking what was left out.
const snippetWidth = 120

// Snippet returns the line of a file at pos with a caret under its column, the snippet of
// a Diagnostic; "" when pos is not on a line with text. Columns count characters, as
// yaml.v3 does; tabs before the column are kept so the caret lines up. Lines longer than
// 120 characters are cut around the column, with … marking what was left out.
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

// Caret returns line, a newline, and a caret under its col-th character (1-based,
// counting characters); tabs before the column are repeated so the caret lines up.
func Caret(line string, col int) string {
	var b strings.Builder
	b.Grow(2*len(line) + 2)
	b.WriteString(line)
	b.WriteByte('\n')
	n := 1
	for _, r := range line {
		if n >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		n++
	}
	for ; n < col; n++ {
		b.WriteByte(' ')
	}
	b.WriteByte('^')
	return b.String()
}

// SplitLines splits a file's text into lines where YAML sees line breaks: "\n", "\r\n",
// "\r", and the Unicode breaks U+0085, U+2028 and U+2029, so that line numbers agree with
// those of yaml.v3 nodes. The lines hold no terminators; lines[0] is line 1.
func SplitLines(data []byte) []string {
	text := string(data)
	var lines []string
	start := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '\r':
			lines = append(lines, text[start:i])
			if i+1 < len(text) && text[i+1] == '\n' {
				size++
			}
			start = i + size
		case '\n', '\u0085', '\u2028', '\u2029':
			lines = append(lines, text[start:i])
			start = i + size
		}
		i += size
	}
	return append(lines, text[start:])
}
