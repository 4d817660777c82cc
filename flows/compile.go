package flows

import (
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"gopkg.in/yaml.v3"
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
	Msg     string // one sentence
	Snippet string // the source line with a caret under the column
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// CompileExpr compiles src, which starts at pos in its file, against Env.
// TODO(expr helper): helper functions, error positions, caret snippets.
func CompileExpr(src string, pos Pos, want ExprType) (*Expr, error) {
	opts := []expr.Option{expr.Env(Env{}), expr.DisableBuiltin("now")}
	if want == BoolType {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, &ExprError{Pos: pos, Msg: err.Error()}
	}
	return &Expr{Source: src, Pos: pos, program: prog}, nil
}

// CompileTemplate compiles text with {{ expression }} parts.
func CompileTemplate(src string, pos Pos) (*Template, error) {
	t := &Template{Source: src, Pos: pos}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, templatePart{text: rest})
			}
			return t, nil
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, &ExprError{Pos: pos, Msg: "a {{ has no closing }}"}
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:i]})
		}
		e, err := CompileExpr(strings.TrimSpace(rest[i+2:i+j]), pos, AnyType)
		if err != nil {
			return nil, err
		}
		t.parts = append(t.parts, templatePart{expr: e})
		rest = rest[i+j+2:]
	}
}

// MustTemplate compiles a template or panics; for tests and built-in texts.
func MustTemplate(src string) *Template {
	t, err := CompileTemplate(src, Pos{File: "<builtin>"})
	if err != nil {
		panic(err)
	}
	return t
}

// CompileExprAt compiles the expression held by a YAML scalar node of file, so that error
// positions point inside the file whatever the scalar's quoting or block style.
// TODO(expr helper): map offsets through quoting and block scalars.
func CompileExprAt(file string, node *yaml.Node, want ExprType) (*Expr, error) {
	return CompileExpr(node.Value, Pos{File: file, Line: node.Line, Col: node.Column}, want)
}

// CompileTemplateAt compiles the {{ }} template held by a YAML scalar node of file.
func CompileTemplateAt(file string, node *yaml.Node) (*Template, error) {
	return CompileTemplate(node.Value, Pos{File: file, Line: node.Line, Col: node.Column})
}
