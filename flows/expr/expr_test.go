package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	exprfile "github.com/expr-lang/expr/file"

	"github.com/wasla/wasla/yamlfile"
)

func testEnv() *Env {
	return &Env{
		Message: MessageEnv{Kind: "text", Text: "Order ١٢٣", Folded: "order 123"},
		Contact: ContactEnv{Name: "Sara", Language: "ar", Tags: []string{"vip"}},
		Vars:    map[string]any{"qty": 3, "price": 12.5, "total": 75.0, "name": "طلال", "none": nil, "when": time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)},
		Now:     time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), // a Sunday
		Answer:  "٠٥٠١٢٣٤٥٦٧",
	}
}

func TestTemplateRender(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"static", "Welcome!", "Welcome!"},
		{"empty", "", ""},
		{"one expression", "Hello {{ contact.name }}", "Hello Sara"},
		{"no spaces", "{{contact.name}}!", "Sara!"},
		{"whole float without decimals", "Total: {{ vars.total }} SAR", "Total: 75 SAR"},
		{"float with decimals", "{{ vars.price }}", "12.5"},
		{"int arithmetic", "{{ vars.qty * 5 }}", "15"},
		{"float arithmetic", "{{ vars.qty * vars.price }}", "37.5"},
		{"time", "{{ vars.when }}", "2026-12-01 09:30"},
		{"nil prints nothing", "[{{ vars.none }}][{{ vars.missing }}]", "[][]"},
		{"bool", "{{ open }}", "false"},
		{"arabic text", "أهلا {{ vars.name }}، طلبك رقم {{ digits(message.text) }}", "أهلا طلال، طلبك رقم 123"},
		{"literal braces", `{{"{{"}} is how a template starts`, "{{ is how a template starts"},
		{"closing braces in a string", `{{ "}}" }}`, "}}"},
		{"map literal", `{{ {"a": "x"}["a"] }}`, "x"},
		{"stray closing braces are text", "a }} b", "a }} b"},
		{"helpers", `{{ format_date(now, "DD/MM/YYYY") }} {{ phone(answer) == "" }}`, "29/11/2026 true"},
		{"list", "{{ contact.tags }}", "[vip]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := CompileTemplate(tt.src, Pos{File: "f.yaml", Line: 1, Col: 1})
			if err != nil {
				t.Fatal(err)
			}
			got, err := tpl.Render(testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
			if static := !strings.Contains(tt.src, "{{"); tpl.IsStatic() != static {
				t.Errorf("IsStatic = %v, want %v", tpl.IsStatic(), static)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		pos  string
		msg  string
	}{
		{"unknown name", "say: Hello {{ contact.nmae }}\n", "1:23", "`contact` has no field `nmae` (did you mean `name`?)"},
		{"second expression", "say: '{{ contact.name }} owes {{ vars.total + }}'\n", "1:46", "the expression ends too early: something is missing here"},
		{"unclosed", "say: \"Hi {{ contact.name\"\n", "1:10", "this {{ is not closed by }}"},
		{"unclosed after a good one", "say: \"{{ 1 }} and {{ \"\n", "1:19", "this {{ is not closed by }}"},
		{"empty", "say: 'a {{ }} b'\n", "1:9", "this {{ }} is empty: write an expression between the braces"},
		{"string with braces left open", "say: 'a {{ \"}} b'\n", "1:9", "this {{ is not closed by }}"},
		{"literal block", "steps:\n  - say: |\n      Hello {{ contact.name }},\n      your total is {{ vars.totl + }}.\n", "4:35", "the expression ends too early: something is missing here"},
		{"folded block", "say: >\n  Hello\n  {{ contcat.name }}\n", "3:6", "unknown name `contcat` (did you mean `contact`?)"},
		{"double quoted with escapes", `say: "Line\nTwo {{ vras }}"` + "\n", "1:20", "unknown name `vras` (did you mean `vars`?)"},
		{"now called", "say: 'It is {{ now() }}'\n", "1:16", "`now` is the current time, not a function: write `now` without ()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewSource("f.yaml", []byte(tt.doc)).CompileTemplate(scalarAt(t, tt.doc, "say"))
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			ee := exprError(t, err)
			if got := fmt.Sprintf("%d:%d", ee.Pos.Line, ee.Pos.Col); got != tt.pos || ee.Msg != tt.msg {
				t.Errorf("got %s: %s\nwant %s: %s", got, ee.Msg, tt.pos, tt.msg)
			}
			if line := strings.Split(tt.doc, "\n")[ee.Pos.Line-1]; ee.Snippet != yamlfile.Caret(line, ee.Pos.Col) {
				t.Errorf("snippet %q", ee.Snippet)
			}
		})
	}
}

// Run-time errors of an expression inside a template name that expression's place.
func TestTemplateExpressionPositions(t *testing.T) {
	doc := "say: |\n  Hi {{ contact.name }},\n  on {{ parse_date(vars.name) }}\n"
	tpl, err := NewSource("f.yaml", []byte(doc)).CompileTemplate(scalarAt(t, doc, "say"))
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Pos != (Pos{File: "f.yaml", Line: 2, Col: 3}) {
		t.Errorf("template Pos = %v, want f.yaml:2:3", tpl.Pos)
	}
	_, err = tpl.Render(testEnv())
	var ev *EvalError
	if !errors.As(err, &ev) {
		t.Fatalf("Render error %v (%T), want *EvalError", err, err)
	}
	want := `f.yaml:3:9: evaluating "parse_date(vars.name)": parse_date: "طلال" is not a date (write e.g. 2026-12-01 or 1/12/2026); check it first with is_date`
	if ev.Error() != want {
		t.Errorf("got  %s\nwant %s", ev, want)
	}
}

func TestMustTemplatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustTemplate of a bad template did not panic")
		}
	}()
	MustTemplate("{{ nope }}")
}

func TestEval(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		{`message.folded == "order 123"`, true},
		{`"vip" in contact.tags && contact.language == "ar"`, true},
		{`vars.qty * 5`, 15},
		{`vars.total / 2`, 37.5},
		{`now.Weekday().String()`, "Sunday"},
		{`normalize("  أهلاً وسهلاً!! ")`, "اهلا وسهلا"},
		{`digits(answer)`, "0501234567"},
		{`open`, false},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := CompileExpr(tt.src, Pos{File: "f.yaml", Line: 1, Col: 1}, AnyType)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Eval(testEnv())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestEvalBool(t *testing.T) {
	e, err := CompileExpr(`vars.qty > 2`, Pos{File: "f.yaml", Line: 4, Col: 9}, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.EvalBool(testEnv()); err != nil || !ok {
		t.Errorf("EvalBool = %v, %v; want true", ok, err)
	}
	e, err = CompileExpr(`vars.qty > vars.name`, Pos{File: "f.yaml", Line: 4, Col: 9}, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.EvalBool(testEnv())
	var fe *exprfile.Error
	if err == nil || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), `f.yaml:4:9: evaluating "vars.qty > vars.name": `) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q: want one line naming the expression, wrapping expr's error", err)
	}
}

// Compiled expressions are shared by every goroutine of the engine.
func TestEvalConcurrent(t *testing.T) {
	e, err := CompileExpr(`normalize(message.text) == "order 123" && vars.qty == 3`, Pos{}, BoolType)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for range 8 {
		go func() {
			var err error
			for range 200 {
				if ok, e := e.EvalBool(testEnv()); e != nil || !ok {
					err = fmt.Errorf("EvalBool = %v, %v", ok, e)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkEvalBool(b *testing.B) {
	e, err := CompileExpr(`message.folded == "order" && vars.count > 2 && contact.language == "ar"`, Pos{File: "b.yaml", Line: 1, Col: 1}, BoolType)
	if err != nil {
		b.Fatal(err)
	}
	env := &Env{Message: MessageEnv{Folded: "order"}, Vars: map[string]any{"count": 3}, Contact: ContactEnv{Language: "ar"}}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := e.EvalBool(env); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkRender(b *testing.B) {
	tpl := MustTemplate("Hello {{ contact.name }}, your total is {{ vars.total }} SAR")
	env := testEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Render(env); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileExpr(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileExpr(`is_date(answer) && days_between(now, parse_date(answer)) >= 1`, Pos{}, BoolType); err != nil {
			b.Fatal(err)
		}
	}
}
