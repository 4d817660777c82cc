package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// scalarAt parses doc and returns the value of the first of keys found, at any depth.
func scalarAt(t testing.TB, doc string, keys ...string) *yaml.Node {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatalf("bad test YAML: %v", err)
	}
	for _, key := range keys {
		if n := findKey(&root, key); n != nil {
			return n
		}
	}
	t.Fatalf("none of %q in test YAML", keys)
	return nil
}

func findKey(n *yaml.Node, key string) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	}
	for _, c := range n.Content {
		if r := findKey(c, key); r != nil {
			return r
		}
	}
	return nil
}

func exprError(t *testing.T, err error) *ExprError {
	t.Helper()
	var ee *ExprError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not an *ExprError", err, err)
	}
	return ee
}

// Every YAML scalar style must put the error on the offending character of the file.
func TestCompileExprPositionInYAML(t *testing.T) {
	const vras = "unknown name `vras` (did you mean `vars`?)"
	tests := []struct {
		name string
		doc  string
		pos  string // line:col in doc
		msg  string
	}{
		{"plain", "e: vras.x == 1\n", "1:4", vras},
		{"plain after other tokens", "e: answer == 'a' && vras\n", "1:21", vras},
		{"plain nested in a flow", "flow: f\nsteps:\n  - if: answer == 'a' && vras.x\n    then: x\n", "3:26", vras},
		{"plain over two lines", "e: answer == \"x\"\n  && vras\n", "2:6", vras},
		{"plain with an empty line", "e: answer == \"x\"\n\n     && vras\n", "3:9", vras},
		{"single quoted", "e: 'vras.x == 1'\n", "1:5", vras},
		{"single quoted with '' before", "e: 'answer == ''a'' && vras'\n", "1:24", vras},
		{"single quoted over two lines", "e: 'answer == ''a''\n    && vras'\n", "2:8", vras},
		{"double quoted", "e: \"vras.x == 1\"\n", "1:5", vras},
		{"double quoted with escaped quotes before", `e: "answer == \"a\" && vras"` + "\n", "1:24", vras},
		{"double quoted with unicode escape before", `e: "answer == \"\u0041\" && vras"` + "\n", "1:29", vras},
		{"double quoted with escaped line break", "e: \"answer == 'a' \\\n     && vras\"\n", "2:9", vras},
		{"literal block", "steps:\n  - when: |\n      answer == \"x\" &&\n        vras.y\n", "4:9", vras},
		{"literal block with comment header", "e: |-  # a note\n  answer == \"x\"\n  && vras\n", "3:6", vras},
		{"literal block after an empty line", "e: |\n  answer == \"x\"\n\n  && vras\n", "4:6", vras},
		{"literal block with indentation indicator", "e: |2\n    answer == \"x\"\n  && vras\n", "3:6", vras},
		{"folded block", "steps:\n  - when: >\n      answer == \"x\" &&\n      vras.y\n", "4:7", vras},
		{"folded block keeping a more indented line", "e: >\n  answer == \"x\"\n    && vras\n", "3:8", vras},
		{"arabic before the error counts characters", "e: answer == 'نص' && vras\n", "1:22", vras},
		{"tagged", "e: !!str 'answer && vras'\n", "1:21", vras},
		{"error at the end points after the last character", "e: 'answer == '\n", "1:14", "the expression ends too early: something is missing here"},
		{"error at the end of a block", "e: |\n  answer ==\n", "2:12", "the expression ends too early: something is missing here"},
		{"unclosed string points at its quote", `e: answer == "x`, "1:14", "a quoted text is not closed: add the closing quote"},
		{"whole-expression error points at its start", "e: |\n  answer\n", "2:3", "this must be a condition (true or false), but it gives text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := NewSource("f.yaml", []byte(tt.doc))
			_, err := src.CompileExpr(scalarAt(t, tt.doc, "e", "if", "when"), BoolType)
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			ee := exprError(t, err)
			if got := fmt.Sprintf("%d:%d", ee.Pos.Line, ee.Pos.Col); got != tt.pos || ee.Msg != tt.msg || ee.Pos.File != "f.yaml" {
				t.Errorf("got %s:%s: %s\nwant f.yaml:%s: %s", ee.Pos.File, got, ee.Msg, tt.pos, tt.msg)
			}
			line := strings.Split(tt.doc, "\n")[ee.Pos.Line-1]
			if want := yamlfile.Caret(line, ee.Pos.Col); ee.Snippet != want {
				t.Errorf("snippet\n%s\nwant\n%s", ee.Snippet, want)
			}
		})
	}
}

func TestCompileExprMessages(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want ExprType
		col  int // of the error, 1-based in src
		msg  string
	}{
		{"unknown name", "vras.x == 1", BoolType, 1, "unknown name `vras` (did you mean `vars`?)"},
		{"unknown name without suggestion", "zzzzzz", AnyType, 1, "unknown name `zzzzzz`"},
		{"misspelt helper", "normalise(answer) == 'x'", BoolType, 1, "unknown name `normalise` (did you mean `normalize`?)"},
		{"unknown field of message", "message.txt == 'a'", BoolType, 9, "`message` has no field `txt` (did you mean `text`?)"},
		{"unknown field of session", "session.setp == 'a'", BoolType, 9, "`session` has no field `setp` (did you mean `step`?)"},
		{"field of text", "answer.size", AnyType, 8, "text has no field `size`"},
		{"unknown method of time", "now.Yaer() > 2000", BoolType, 5, "time has no method `Yaer` (did you mean `Year`?)"},
		{"now called", "now() > now", BoolType, 1, "`now` is the current time, not a function: write `now` without ()"},
		{"not a condition", "answer", BoolType, 1, "this must be a condition (true or false), but it gives text"},
		{"number is not a condition", "  session.retries + 1", BoolType, 3, "this must be a condition (true or false), but it gives number"},
		{"assignment for comparison", "answer = 'x'", BoolType, 8, "unexpected `=` (write `==` to compare)"},
		{"missing operator", "answer 'x'", BoolType, 8, "unexpected `x` (is an operator such as `==`, `and` or `+` missing before it?)"},
		{"single ampersand", "open & true", BoolType, 6, "unexpected `&` (write `and` or `&&`)"},
		{"bad character", "answer == @x", BoolType, 11, "the character `@` is not allowed here (write names without a sign, like `vars.total`)"},
		{"incomplete", "answer == ", BoolType, 10, "the expression ends too early: something is missing here"},
		{"unclosed string", `answer == "yes`, BoolType, 11, "a quoted text is not closed: add the closing quote"},
		{"mismatched types", "answer + 1", AnyType, 8, "`+` cannot be used between text and number"},
		{"helper argument type", "digits(3)", AnyType, 8, "`digits` expects text here, not number (write digits(text))"},
		{"helper argument type time", "days_between(answer, now)", AnyType, 14, "`days_between` expects time here, not text (write days_between(from, to))"},
		{"helper missing argument", "within_hours(now)", BoolType, 1, "not enough arguments to call `within_hours` (write within_hours(now, \"sun-thu 09:00-17:00\"))"},
		{"helper extra argument", "phone(answer, 1) != ''", BoolType, 1, "too many arguments to call `phone` (write phone(text))"},
		{"bad constant hours", "within_hours(now, 'sun-thu 9-25')", BoolType, 19, "business hours \"sun-thu 9-25\": \"25\" is not a time of day (write e.g. 09:00)"},
		{"bad constant date", "days_between(now, parse_date('30/2/2026')) > 0", BoolType, 30, "\"30/2/2026\" is not a date (write e.g. 2026-12-01 or 1/12/2026)"},
		{"empty", "   ", AnyType, 1, "the expression is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileExpr(tt.src, Pos{File: "f.yaml", Line: 3, Col: 5}, tt.want)
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			ee := exprError(t, err)
			want := ExprError{Pos: Pos{File: "f.yaml", Line: 3, Col: 4 + tt.col}, Msg: tt.msg}
			if *ee != want {
				t.Errorf("got  %v\nwant %v", ee, &want)
			}
		})
	}
}

func TestCompileExprGood(t *testing.T) {
	for _, src := range []string{
		`message.folded == "order" && contact.language == "ar"`,
		`vars.count > 2 or "vip" in contact.tags`,
		`normalize(message.text) == "طلبي" and digits(answer) != ""`,
		`is_phone(answer) && len(phone(answer)) >= 8`,
		`is_date(answer) && days_between(now, parse_date(answer)) >= 1`,
		`within_hours(now, "sun-thu 09:00-17:00; sat 10:00-14:00") || open`,
		`format_date(now, "DD/MM/YYYY") != "" && session.retries < 3`,
		`vars.x == nil || normalize(vars.x) == "a"`,
		`now.Hour() >= 9 && campaign == "" && number != ""`,
		"answer == \"a\"\n  || answer == \"b\"",
	} {
		if _, err := CompileExpr(src, Pos{File: "f.yaml", Line: 1, Col: 1}, BoolType); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestCompileExprMultiLineText(t *testing.T) {
	_, err := CompileExpr("answer == 'a' ||\n  vras", Pos{File: "f.yaml", Line: 7, Col: 9}, BoolType)
	ee := exprError(t, err)
	if ee.Pos != (Pos{File: "f.yaml", Line: 8, Col: 3}) {
		t.Errorf("got %v, want f.yaml:8:3", ee)
	}
}

// Without the file's lines, one-line scalars are still exact; what cannot be rebuilt points
// at the scalar.
func TestCompileExprAtWithoutLines(t *testing.T) {
	tests := []struct {
		name, doc, pos string
	}{
		{"plain", "e: answer && vras\n", "1:14"},
		{"single quoted", "e: 'answer == ''x'' && vras'\n", "1:24"},
		{"double quoted without escapes", "e: \"answer == 'x' && vras\"\n", "1:22"},
		{"double quoted with escapes: the scalar", `e: "answer == \"x\" && vras"` + "\n", "1:4"},
		{"literal block: the scalar", "e: |\n  answer && vras\n", "1:4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileExprAt("f.yaml", scalarAt(t, tt.doc, "e"), BoolType)
			ee := exprError(t, err)
			if got := fmt.Sprintf("%d:%d", ee.Pos.Line, ee.Pos.Col); got != tt.pos {
				t.Errorf("got %s, want %s", got, tt.pos)
			}
			if ee.Snippet != "" {
				t.Errorf("snippet %q without lines", ee.Snippet)
			}
		})
	}
}

func TestCompileExprNotAScalar(t *testing.T) {
	doc := "e:\n  - a\n"
	_, err := NewSource("f.yaml", []byte(doc)).CompileExpr(scalarAt(t, doc, "e"), BoolType)
	ee := exprError(t, err)
	if ee.Error() != "f.yaml:2:3: an expression must be text, not a list or a mapping" {
		t.Errorf("got %v", ee)
	}
}

func TestCompileExprPositionOfGoodExpr(t *testing.T) {
	doc := "steps:\n  - if: |\n      answer == 'x'\n"
	e, err := NewSource("f.yaml", []byte(doc)).CompileExpr(scalarAt(t, doc, "if"), BoolType)
	if err != nil {
		t.Fatal(err)
	}
	if e.Pos != (Pos{File: "f.yaml", Line: 3, Col: 7}) {
		t.Errorf("Pos = %v, want f.yaml:3:7", e.Pos)
	}
}

func TestNewSourceCRLF(t *testing.T) {
	doc := "a: 1\r\ne: answer && vras\r\n"
	_, err := NewSource("f.yaml", []byte(doc)).CompileExpr(scalarAt(t, doc, "e"), BoolType)
	ee := exprError(t, err)
	if ee.Pos.Line != 2 || ee.Pos.Col != 14 || ee.Snippet != "e: answer && vras\n             ^" {
		t.Errorf("got %v %q", ee, ee.Snippet)
	}
}

func TestCaret(t *testing.T) {
	tests := []struct {
		name string
		line string
		col  int
		want string
	}{
		{"first column", "abc", 1, "abc\n^"},
		{"middle", "e: vras", 4, "e: vras\n   ^"},
		{"after the end", "ab", 4, "ab\n   ^"},
		{"tabs kept", "\tx: y", 3, "\tx: y\n\t ^"},
		{"arabic counts characters", "e: 'نص' == x", 12, "e: 'نص' == x\n           ^"},
		{"column zero is the first", "abc", 0, "abc\n^"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := yamlfile.Caret(tt.line, tt.col); got != tt.want {
				t.Errorf("yamlfile.Caret(%q, %d) =\n%s\nwant\n%s", tt.line, tt.col, got, tt.want)
			}
		})
	}
}

// Source lines must agree with yaml.v3's line numbers, whatever the line breaks.
func TestNewSourceLines(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", []string{""}},
		{"unix", "a\nb\n", []string{"a", "b", ""}},
		{"windows", "a\r\nb", []string{"a", "b"}},
		{"old mac", "a\rb", []string{"a", "b"}},
		{"unicode separators", "a\u2028b\u2029c\u0085d", []string{"a", "b", "c", "d"}},
		{"arabic", "say: مرحبا\nend: true", []string{"say: مرحبا", "end: true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewSource("f.yaml", []byte(tt.text)).Lines
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("Lines = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompileExprAlias(t *testing.T) {
	doc := "a: &cond answer == 'x' && vras\ne: *cond\n"
	_, err := NewSource("f.yaml", []byte(doc)).CompileExpr(scalarAt(t, doc, "e"), BoolType)
	if ee := exprError(t, err); ee.Pos.Line != 1 || ee.Pos.Col != 27 {
		t.Errorf("got %v, want the anchored text at f.yaml:1:27", ee)
	}
}
