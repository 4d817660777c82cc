package expr

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

var fuzzStyles = []yaml.Style{0, yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle}

// fuzzDoc writes value as a YAML scalar of the given style, nested so that it is indented,
// and returns the file text and the parsed scalar node (nil when YAML cannot hold value).
func fuzzDoc(value string, style uint8) (string, *yaml.Node) {
	scalar := &yaml.Node{Kind: yaml.ScalarNode, Value: value, Style: fuzzStyles[int(style)%len(fuzzStyles)]}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "steps"},
		{Kind: yaml.SequenceNode, Content: []*yaml.Node{
			{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "say"}, scalar}},
		}},
	}}
	out, err := yaml.Marshal(root)
	if err != nil {
		return "", nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		return "", nil
	}
	n := findKey(&doc, "say")
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", nil
	}
	return string(out), n
}

// checkPositioned fails unless err is an *ExprError placed on a real character of the file
// (or just after the end of its line), with the matching snippet.
func checkPositioned(t *testing.T, err error, text string) {
	t.Helper()
	var ee *ExprError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not an *ExprError", err, err)
	}
	lines := NewSource("f.yaml", []byte(text)).Lines
	if ee.Pos.File != "f.yaml" || ee.Pos.Line < 1 || ee.Pos.Line > len(lines) {
		t.Fatalf("%v: line outside the file of %d lines", ee, len(lines))
	}
	line := lines[ee.Pos.Line-1]
	if ee.Pos.Col < 1 || ee.Pos.Col > utf8.RuneCountInString(line)+2 {
		t.Fatalf("%v: column outside line %q", ee, line)
	}
	if ee.Msg == "" {
		t.Fatalf("%v: empty message", ee)
	}
	if ee.Snippet != yamlfile.Caret(line, ee.Pos.Col) {
		t.Fatalf("%v: snippet %q", ee, ee.Snippet)
	}
}

var exprSeeds = []string{
	`vras.x == 1`, `answer == "a" && vras`, `message.txt`, `now()`, `1 = 2`, `answer ==`,
	`"abc`, `normalize(1)`, `within_hours(now, "sun 9-25")`, `parse_date("31/4/2026")`,
	"answer == 'x'\n  || vras", `{"a": [1, 2`, `x ?? y ?: z`, `let x = 1; x`, `map(1..3, # * 2)`,
	"'نص' == answer", "\t answer  ", `a.b.c.d(`, `"\u0041" + nope`, `/* open`,
}

func FuzzCompileExpr(f *testing.F) {
	for i, s := range exprSeeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, src string, style uint8) {
		text, node := fuzzDoc(src, style)
		if node == nil {
			return
		}
		e, err := NewSource("f.yaml", []byte(text)).CompileExpr(node, BoolType)
		if err != nil {
			checkPositioned(t, err, text)
			return
		}
		if e.Source != node.Value {
			t.Fatalf("Source %q, want %q", e.Source, node.Value)
		}
		_, _ = e.EvalBool(testEnv()) // must not panic
	})
}

func FuzzCompileTemplate(f *testing.F) {
	for i, s := range []string{
		"Hello {{ contact.name }}", "{{ vras }}", "a {{ b", "{{ }}", `{{"{{"}}`, `{{ "}}" }}`,
		"x {{ 1 }} y {{ vars.total + }}", "{{ {\"a\": {\"b\": 1}} }}", "}} {{", "سلام {{ contact.nmae }}!",
		"line\n{{ now() }}", "{{ 'unclosed }}",
	} {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, src string, style uint8) {
		text, node := fuzzDoc(src, style)
		if node == nil {
			return
		}
		tpl, err := NewSource("f.yaml", []byte(text)).CompileTemplate(node)
		if err != nil {
			checkPositioned(t, err, text)
			return
		}
		out, err := tpl.Render(testEnv())
		if err == nil && tpl.IsStatic() && out != node.Value {
			t.Fatalf("static template rendered %q, want %q", out, node.Value)
		}
	})
}

// Every visible character of a scalar, whatever its style, maps back to the character of the
// file that wrote it: itself, or the backslash of its escape, or the first of the two quotes that write one.
func FuzzScalarPositions(f *testing.F) {
	for i, s := range append(exprSeeds, "a  b", "  lead", "trail  ", "a\n\nb", "a\n  b\nc", "x\ty", "é\u0085\u2028z",
		strings.Repeat("word ", 40), "it's \"quoted\"", "\\back\\slash", "#not a comment", "- dash", "a: b") {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, value string, style uint8) {
		text, node := fuzzDoc(value, style)
		if node == nil {
			return
		}
		lines := NewSource("f.yaml", []byte(text)).Lines
		vr := []rune(node.Value)
		seen := 0
		var src []rune // of line runesOf
		runesOf := 0
		_, _, ok := walkScalar(lines, node, func(i, line, col int) bool {
			seen = i + 1
			r := vr[i]
			if r == ' ' || r == '\n' || r == '\t' || r == '\u2028' || r == '\u2029' {
				return true
			}
			if line != runesOf {
				src, runesOf = []rune(lines[line-1]), line
			}
			if col < 1 || col > len(src) {
				t.Fatalf("rune %d of %q at %d:%d, outside the line %q", i, node.Value, line, col, lines[line-1])
			}
			got := src[col-1]
			if got != r && !(node.Style&yaml.DoubleQuotedStyle != 0 && got == '\\') && !(node.Style&yaml.SingleQuotedStyle != 0 && r == '\'' && got == '\'') {
				t.Fatalf("style %d: rune %d (%q) of %q located at %d:%d on %q\n%s", node.Style, i, r, node.Value, line, col, got, text)
			}
			return true
		})
		if !ok || seen != len(vr) {
			t.Fatalf("style %d: walked %d of %d runes of %q (ok %v) in\n%s", node.Style, seen, len(vr), node.Value, ok, text)
		}
	})
}
