package expr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	exprlang "github.com/expr-lang/expr"
	exprfile "github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// ExprType is what an expression must produce.
type ExprType int

// Expression result types.
const (
	AnyType ExprType = iota
	BoolType
)

// ExprError is an expression that does not compile or type-check, positioned in the file.
type ExprError struct {
	Pos     Pos    // where the error is, inside the YAML file
	Msg     string // one sentence, for the person who wrote the flow
	Snippet string // the source line and a caret line under Pos.Col (see Caret); "" when the source lines were not given
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Source is a flow file being compiled: its name and its text split into lines. With the
// lines, expression errors are positioned exactly inside any YAML scalar style (quotes,
// escapes, folded and literal blocks) and carry a caret Snippet; without them (Lines nil)
// positions are exact only for one-line scalars and fall back to the scalar's start
// otherwise. A Source is read-only once built.
type Source struct {
	File  string
	Lines []string // without line terminators; Lines[0] is line 1
}

// NewSource splits data, the text of file, into lines where YAML sees line breaks: "\n",
// "\r\n", "\r", and the Unicode breaks U+0085, U+2028 and U+2029, so that line numbers agree
// with those of yaml.v3 nodes.
func NewSource(file string, data []byte) *Source {
	return &Source{File: file, Lines: yamlfile.SplitLines(data)}
}

// CompileExpr compiles the expression held by the YAML scalar node, so that an error points
// inside the file at the offending character.
func (s *Source) CompileExpr(node *yaml.Node, want ExprType) (*Expr, error) {
	node = resolveAlias(node)
	if node.Kind != yaml.ScalarNode {
		return nil, s.errorAt(Pos{File: s.File, Line: node.Line, Col: node.Column}, "an expression must be text, not a list or a mapping")
	}
	loc := s.scalarLocator(node)
	prog, f := compileProgram(node.Value, want)
	if f != nil {
		return nil, s.errorAt(loc(f.off), f.msg)
	}
	return &Expr{Source: node.Value, Pos: loc(0), program: prog}, nil
}

// resolveAlias returns the node a YAML alias (*name) stands for: errors then point at the
// anchored text, which is what needs fixing.
func resolveAlias(node *yaml.Node) *yaml.Node {
	for i := 0; node.Kind == yaml.AliasNode && node.Alias != nil && i < 100; i++ {
		node = node.Alias
	}
	return node
}

// CompileTemplate compiles the {{ }} template held by the YAML scalar node, positioning
// errors inside the file like CompileExpr.
func (s *Source) CompileTemplate(node *yaml.Node) (*Template, error) {
	node = resolveAlias(node)
	if node.Kind != yaml.ScalarNode {
		return nil, s.errorAt(Pos{File: s.File, Line: node.Line, Col: node.Column}, "a text must be a string, not a list or a mapping")
	}
	loc := s.scalarLocator(node)
	t, f := compileTemplate(node.Value)
	if f != nil {
		return nil, s.errorAt(loc(f.off), f.msg)
	}
	t.place(loc)
	return t, nil
}

func (s *Source) errorAt(pos Pos, msg string) *ExprError {
	e := &ExprError{Pos: pos, Msg: msg}
	if pos.Line >= 1 && pos.Line <= len(s.Lines) {
		e.Snippet = yamlfile.Caret(s.Lines[pos.Line-1], pos.Col)
	}
	return e
}

// CompileExprAt compiles the expression held by a YAML scalar node of file. It does not
// have the file's lines, so error positions are exact for one-line scalars only and the
// ExprError's Snippet is empty (the caller can fill it with Caret); a caller that has the
// lines should use Source.CompileExpr instead.
func CompileExprAt(file string, node *yaml.Node, want ExprType) (*Expr, error) {
	return (&Source{File: file}).CompileExpr(node, want)
}

// CompileTemplateAt compiles the {{ }} template held by a YAML scalar node of file, like
// CompileExprAt.
func CompileTemplateAt(file string, node *yaml.Node) (*Template, error) {
	return (&Source{File: file}).CompileTemplate(node)
}

// CompileExpr compiles src, which starts at pos in its file, against Env. src is taken to
// be written as is at pos: an error on its second line is reported on pos.Line+1, column 1
// onwards. For expressions held by YAML scalars use Source.CompileExpr, which knows about
// quoting and block indentation.
func CompileExpr(src string, pos Pos, want ExprType) (*Expr, error) {
	prog, f := compileProgram(src, want)
	if f != nil {
		return nil, &ExprError{Pos: textLocator(src, pos)(f.off), Msg: f.msg}
	}
	return &Expr{Source: src, Pos: pos, program: prog}, nil
}

// CompileTemplate compiles text with {{ expression }} parts; src starts at pos, as for
// CompileExpr.
func CompileTemplate(src string, pos Pos) (*Template, error) {
	t, f := compileTemplate(src)
	if f != nil {
		return nil, &ExprError{Pos: textLocator(src, pos)(f.off), Msg: f.msg}
	}
	t.place(textLocator(src, pos))
	return t, nil
}

// MustTemplate compiles a template or panics; for tests and built-in texts.
func MustTemplate(src string) *Template {
	t, err := CompileTemplate(src, Pos{File: "<builtin>", Line: 1, Col: 1})
	if err != nil {
		panic(err)
	}
	return t
}

// failure is a compile error at a character (rune) offset of the compiled text.
type failure struct {
	off int
	msg string
}

// compileProgram compiles src against Env with the helper functions. It is the only place
// where expr options are chosen, so every expression in every flow sees the same language.
func compileProgram(src string, want ExprType) (*vm.Program, *failure) {
	if strings.TrimSpace(src) == "" {
		return nil, &failure{off: 0, msg: "the expression is empty"}
	}
	opts := []exprlang.Option{exprlang.Env(Env{}), exprlang.DisableBuiltin("now")}
	opts = append(opts, helperOptions()...)
	opts = append(opts, budgetOptions()...)
	if want == BoolType {
		opts = append(opts, exprlang.AsBool())
	}
	prog, err := exprlang.Compile(src, opts...)
	if err != nil {
		var fe *exprfile.Error
		if errors.As(err, &fe) {
			off := min(max(fe.From, 0), utf8.RuneCountInString(src))
			if fe.Message == "literal not terminated" {
				off = unclosedQuote(src, off) // point at the quote to close, not at the end
			}
			return nil, &failure{off: off, msg: explain(fe.Message, src, off)}
		}
		// Errors without a location (the result type) are about the whole expression.
		return nil, &failure{off: firstNonSpace(src), msg: explain(err.Error(), src, 0)}
	}
	if f := checkConstantArgs(prog, src); f != nil {
		return nil, f
	}
	return prog, nil
}

// firstNonSpace returns the rune offset of the first non-space character of s.
func firstNonSpace(s string) int {
	n := 0
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			return n
		}
		n++
	}
	return 0
}

// compileTemplate splits src into text and {{ expression }} parts and compiles each
// expression. A literal "{{" is written {{"{{"}}. The closing "}}" is the first one outside
// quoted strings and outside braces opened inside the expression, so {{ {"a": 1}["a"] }} and
// {{ "}}" }} work.
func compileTemplate(src string) (*Template, *failure) {
	t := &Template{Source: src}
	rest := 0 // byte offset of the unprocessed text
	for {
		i := strings.Index(src[rest:], "{{")
		if i < 0 {
			if rest < len(src) {
				t.parts = append(t.parts, templatePart{text: src[rest:]})
			}
			return t, nil
		}
		open := rest + i
		inner := open + 2
		end := closingBraces(src, inner)
		if end < 0 {
			return nil, &failure{off: utf8.RuneCountInString(src[:open]), msg: "this {{ is not closed by }}"}
		}
		if open > rest {
			t.parts = append(t.parts, templatePart{text: src[rest:open]})
		}
		code := src[inner:end]
		if strings.TrimSpace(code) == "" {
			return nil, &failure{off: utf8.RuneCountInString(src[:open]), msg: "this {{ }} is empty: write an expression between the braces"}
		}
		prog, f := compileProgram(code, AnyType)
		if f != nil {
			f.off += utf8.RuneCountInString(src[:inner])
			return nil, f
		}
		t.parts = append(t.parts, templatePart{
			expr:   &Expr{Source: strings.TrimSpace(code), program: prog},
			offset: utf8.RuneCountInString(src[:inner]) + firstNonSpace(code),
		})
		rest = end + 2
	}
}

// closingBraces returns the byte offset of the "}}" that closes an expression starting at
// from, or -1.
func closingBraces(src string, from int) int {
	depth := 0
	for i := from; i < len(src); i++ {
		switch c := src[i]; c {
		case '"', '\'', '`':
			i = skipString(src, i)
			if i < 0 {
				return -1
			}
		case '{':
			depth++
		case '}':
			if depth == 0 && i+1 < len(src) && src[i+1] == '}' {
				return i
			}
			if depth > 0 {
				depth--
			}
		}
	}
	return -1
}

// unclosedQuote returns the rune offset of the quote that opens a string literal never
// closed in src, or def.
func unclosedQuote(src string, def int) int {
	for i := 0; i < len(src); i++ {
		if c := src[i]; c == '"' || c == '\'' || c == '`' {
			j := skipString(src, i)
			if j < 0 {
				return utf8.RuneCountInString(src[:i])
			}
			i = j
		}
	}
	return def
}

// skipString returns the offset of the quote closing the string literal opened at src[i],
// or -1. Backquoted strings have no escapes.
func skipString(src string, i int) int {
	q := src[i]
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if q != '`' {
				j++
			}
		case q:
			return j
		}
	}
	return -1
}
