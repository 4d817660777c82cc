package flows

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Expr is a compiled expression. It is immutable and safe for concurrent use.
type Expr struct {
	Source  string
	Pos     Pos
	program *vm.Program
}

// Eval runs the expression against env.
func (e *Expr) Eval(env *Env) (any, error) {
	out, err := expr.Run(e.program, env)
	if err != nil {
		return nil, fmt.Errorf("%s:%d:%d: evaluating %q: %w", e.Pos.File, e.Pos.Line, e.Pos.Col, e.Source, err)
	}
	return out, nil
}

// EvalBool runs an expression that was compiled as a bool.
func (e *Expr) EvalBool(env *Env) (bool, error) {
	out, err := e.Eval(env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("%s:%d:%d: %q gave %T, want bool", e.Pos.File, e.Pos.Line, e.Pos.Col, e.Source, out)
	}
	return b, nil
}

// Template is text with {{ expression }} parts, compiled once.
type Template struct {
	Source string
	Pos    Pos
	parts  []templatePart
}

type templatePart struct {
	text string
	expr *Expr
}

// Render fills the template's expressions from env.
func (t *Template) Render(env *Env) (string, error) {
	if t == nil {
		return "", nil
	}
	var b []byte
	for _, p := range t.parts {
		if p.expr == nil {
			b = append(b, p.text...)
			continue
		}
		v, err := p.expr.Eval(env)
		if err != nil {
			return "", err
		}
		b = append(b, formatValue(v)...)
	}
	return string(b), nil
}

// IsStatic reports whether the template has no expressions; its text is then Source.
func (t *Template) IsStatic() bool {
	for _, p := range t.parts {
		if p.expr != nil {
			return false
		}
	}
	return true
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x))
		}
		return fmt.Sprint(x)
	default:
		return fmt.Sprint(x)
	}
}
