package yamlfile

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSnippet feeds arbitrary text to the line splitter and the snippet maker, which every
// loader calls on files it has not checked: they must not panic, and a snippet's caret line
// must be its last.
func FuzzSnippet(f *testing.F) {
	f.Add("a: b\n  c: \"d\"\n", 2, 3)
	f.Add("\t\tx\r\ny\u2028z", 1, 2)
	f.Add(strings.Repeat("é", 300), 1, 250)
	f.Fuzz(func(t *testing.T, text string, line, col int) {
		lines := SplitLines([]byte(text))
		if len(lines) == 0 {
			t.Fatal("SplitLines gave no line")
		}
		s := Snippet(lines, Pos{Line: line, Col: col})
		if s == "" {
			return
		}
		parts := strings.Split(s, "\n")
		if !strings.HasSuffix(parts[len(parts)-1], "^") {
			t.Errorf("snippet %q does not end in a caret", s)
		}
		if utf8.ValidString(text) && !utf8.ValidString(s) {
			t.Errorf("snippet %q of valid text is not valid UTF-8", s)
		}
	})
}

// FuzzParseDuration checks that a duration read from text without a minus is never
// negative and that errors stay valid UTF-8.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "15m", "2h", "1d", "1d12h", "1.5h", "-1d", "d", "99999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 && !strings.HasPrefix(strings.TrimSpace(s), "-") {
			t.Errorf("ParseDuration(%q) = %v: a negative duration from text without a minus", s, d)
		}
		if err != nil && !utf8.ValidString(err.Error()) {
			t.Errorf("ParseDuration(%q): error is not valid UTF-8", s)
		}
	})
}
