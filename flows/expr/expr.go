package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	exprfile "github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Expr is a compiled expression. It is immutable and safe for concurrent use: flows compile
// every expression once when they load, and the engine evaluates the same Expr for every
// message.
type Expr struct {
	Source  string
	Pos     Pos // where the expression starts in its file
	program *vm.Program
}

// Eval runs the expression against env. Run-time failures (a helper given a value it cannot
// read, an index out of range) name the expression's position.
//
// Every evaluation runs under env.Budget (see Budget): going over it is an *EvalError
// wrapping ErrBudget.
func (e *Expr) Eval(env *Env) (any, error) {
	m := vm.VM{MemoryBudget: env.Budget.maxItems()}
	env.evalStart = time.Now()
	out, err := m.Run(e.program, env)
	if err == nil {
		err = checkResult(env, out)
	} else if strings.Contains(err.Error(), "memory budget exceeded") {
		err = fmt.Errorf("%w: more than %d list items, map entries or range elements", ErrBudget, env.Budget.maxItems())
	}
	env.evalStart = time.Time{}
	if err != nil {
		return nil, &EvalError{Pos: e.Pos, Source: e.Source, Err: err}
	}
	return out, nil
}

// EvalError is an expression that failed while running: a helper given a value it cannot
// read, a missing map key used as a number, an index out of range. Err is expr's error.
type EvalError struct {
	Pos    Pos    // where the expression starts in its file
	Source string // the expression
	Err    error
}

func (e *EvalError) Error() string {
	msg := e.Err.Error()
	var fe *exprfile.Error
	if errors.As(e.Err, &fe) {
		msg = fe.Message // without expr's own snippet: Pos and Source already say where
	}
	return fmt.Sprintf("%s:%d:%d: evaluating %q: %s", e.Pos.File, e.Pos.Line, e.Pos.Col, e.Source, msg)
}

func (e *EvalError) Unwrap() error { return e.Err }

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

// Template is text with {{ expression }} parts, compiled once. It is immutable and safe
// for concurrent use.
type Template struct {
	Source string
	Pos    Pos
	parts  []templatePart
}

type templatePart struct {
	text   string
	expr   *Expr
	offset int // of the expression in Source, in characters; for its Pos
}

// place sets the positions of the template and of its expressions in the file.
func (t *Template) place(loc locator) {
	t.Pos = loc(0)
	for i := range t.parts {
		if e := t.parts[i].expr; e != nil {
			e.Pos = loc(t.parts[i].offset)
		}
	}
}

// JSONSource returns a template whose one expression gives this template's value as JSON
// text: a lone {{ x }} keeps x's type (a number stays a number), text with parts becomes a
// JSON string. An http step's body mapping is built from it.
func (t *Template) JSONSource() string {
	if len(t.parts) == 1 && t.parts[0].expr != nil {
		return "{{ toJSON(" + t.parts[0].expr.Source + ") }}"
	}
	var parts []string
	for _, p := range t.parts {
		if p.expr != nil {
			parts = append(parts, "string("+p.expr.Source+")")
		} else {
			parts = append(parts, strconv.Quote(p.text))
		}
	}
	return "{{ toJSON(" + strings.Join(parts, " + ") + ") }}"
}

// Render fills the template's expressions from env. Values print as a person would write
// them: whole numbers without decimals, times as 2006-01-02 15:04, nil as nothing.
func (t *Template) Render(env *Env) (string, error) {
	if t == nil {
		return "", nil
	}
	if len(t.parts) == 1 && t.parts[0].expr == nil {
		return t.parts[0].text, nil
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
		b = appendValue(b, v)
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

// appendValue appends v as text.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case string:
		return append(b, x...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		return x.AppendFormat(b, "2006-01-02 15:04")
	default:
		return fmt.Append(b, x)
	}
}

// FormatValue writes a value as templates show it: whole numbers without decimals, times
// as 2006-01-02 15:04, nil as nothing.
func FormatValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(appendValue(nil, v))
}
