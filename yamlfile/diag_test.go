package yamlfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		name string
		d    Diagnostic
		want string
	}{
		{"full place", Diagnostic{Pos: Pos{File: "a.yaml", Line: 3, Col: 5}, Message: "m"}, "a.yaml:3:5: m"},
		{"line only", Diagnostic{Pos: Pos{File: "a.yaml", Line: 3}, Message: "m"}, "a.yaml:3: m"},
		{"file only", Diagnostic{Pos: Pos{File: "a.yaml"}, Message: "m"}, "a.yaml: m"},
		{"warning", Diagnostic{Pos: Pos{File: "a.yaml", Line: 1, Col: 1}, Level: LevelWarning, Code: CodeUnreachable, Message: "m"}, "a.yaml:1:1: warning: m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	ds := Diagnostics{
		{Pos: Pos{File: "f.yaml", Line: 2, Col: 3}, Code: CodeUnknownKey, Message: "unknown key `nxt`"},
		{Pos: Pos{File: "f.yaml"}, Level: LevelWarning, Message: "no code"},
	}
	var b bytes.Buffer
	if err := ds.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	want := `{"file":"f.yaml","line":2,"col":3,"level":"error","code":"unknown-key","message":"unknown key ` + "`nxt`" + `"}
{"file":"f.yaml","level":"warning","code":"invalid","message":"no code"}
`
	if b.String() != want {
		t.Errorf("WriteJSON =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestCodesAreValidAndDistinct(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes() {
		if seen[c] || !c.Valid() {
			t.Errorf("code %q repeated or invalid", c)
		}
		seen[c] = true
	}
	if Code("made-up").Valid() {
		t.Error(`Code("made-up").Valid() = true`)
	}
}

func TestSortKeepsLoadOrderOfFiles(t *testing.T) {
	ds := Diagnostics{
		{Pos: Pos{File: "b", Line: 1}, Message: "b1"},
		{Pos: Pos{File: "a", Line: 2}, Message: "a2"},
		{Pos: Pos{File: "a", Line: 1, Col: 4}, Message: "a1"},
	}
	ds.Sort(map[string]int{"b": 0, "a": 1})
	var got []string
	for _, d := range ds {
		got = append(got, d.Message)
	}
	if strings.Join(got, " ") != "b1 a1 a2" {
		t.Errorf("order = %v", got)
	}
}

func TestSnippetCutsLongLines(t *testing.T) {
	long := strings.Repeat("x", 200) + "Y" + strings.Repeat("z", 200)
	s := Snippet([]string{long}, Pos{Line: 1, Col: 201})
	lines := strings.Split(s, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "…") || !strings.HasSuffix(lines[0], "…") {
		t.Fatalf("snippet = %q", s)
	}
	if caret := len([]rune(lines[1])) - 1; []rune(lines[0])[caret] != 'Y' {
		t.Errorf("caret under %q, want Y", []rune(lines[0])[caret])
	}
	if Snippet([]string{"  "}, Pos{Line: 1, Col: 1}) != "" || Snippet(nil, Pos{Line: 1}) != "" {
		t.Error("snippet of a blank or missing line is not empty")
	}
}

func TestSplitLinesAgreesWithYAML(t *testing.T) {
	got := SplitLines([]byte("a\r\nb\rc\u2028d\n"))
	want := []string{"a", "b", "c", "d", ""}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("SplitLines = %q, want %q", got, want)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"next", "name", "timeout", "on_timeout"}
	for in, want := range map[string]string{"nxet": "next", "nmae": "name", "timout": "timeout", "zzz": ""} {
		if got := Suggest(in, keys); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := DidYouMean("nxt", keys); got != "; did you mean `next`?" {
		t.Errorf("DidYouMean = %q", got)
	}
}

func TestDescribeAndQuote(t *testing.T) {
	tests := []struct{ src, describe, quote string }{
		{"a: 1", "a mapping", "a mapping"},
		{"[1]", "a list", "a list"},
		{"~", "nothing", "nothing"},
		{"true", "true", `"true"`},
		{"12", "the number 12", `"12"`},
		{"hello", "a text", `"hello"`},
	}
	for _, tt := range tests {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(tt.src), &doc); err != nil {
			t.Fatal(err)
		}
		n := doc.Content[0]
		if got := Describe(n); got != tt.describe {
			t.Errorf("Describe(%s) = %q, want %q", tt.src, got, tt.describe)
		}
		if got := Quote(n); got != tt.quote {
			t.Errorf("Quote(%s) = %q, want %q", tt.src, got, tt.quote)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	var n yaml.Node
	err := yaml.Unmarshal([]byte("a: b\n  c: d\n"), &n)
	ses := SyntaxErrors(err)
	if len(ses) != 1 || ses[0].Line != 2 || strings.HasPrefix(ses[0].Msg, "yaml:") {
		t.Errorf("SyntaxErrors = %+v", ses)
	}
	if ses := SyntaxErrors(errors.New("yaml: did not find expected key")); ses[0].Line != 0 || ses[0].Msg != "did not find expected key" {
		t.Errorf("SyntaxErrors without a line = %+v", ses)
	}
}

func TestDurations(t *testing.T) {
	for in, want := range map[string]string{"30s": "30s", "1d12h": "1d12h", "90m": "1h30m", "7d": "7d", "500ms": "500ms"} {
		d, err := ParseDuration(in)
		if err != nil || FormatDuration(d) != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	for _, bad := range []string{"", "-1s", "1x", "d", "+1d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) gave no error", bad)
		}
	}
}

// TestDurationsDocumented checks that every example of docs/flows.md's Durations section
// parses, and that every unit the section lists is one ParseDuration takes.
func TestDurationsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "flows.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Durations\n")
	if !ok {
		t.Fatal("docs/flows.md has no Durations section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	examples := regexp.MustCompile("`([0-9][0-9a-z.]*)`").FindAllStringSubmatch(section, -1)
	units := regexp.MustCompile("`([a-z]+)` (?:milli)?(?:seconds|minutes|hours|days)").FindAllStringSubmatch(section, -1)
	if len(examples) < 5 || len(units) < 5 {
		t.Fatalf("found %d examples and %d units in the Durations section; has its form changed?", len(examples), len(units))
	}
	for _, m := range examples {
		if _, err := ParseDuration(m[1]); err != nil {
			t.Errorf("documented example %q: %v", m[1], err)
		}
	}
	for _, m := range units {
		if _, err := ParseDuration("2" + m[1]); err != nil {
			t.Errorf("documented unit %q: %v", m[1], err)
		}
	}
}
