package expr

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Defaults of Budget.
const (
	// DefaultExprTimeout bounds one evaluation: flow expressions are small, and
	// 100 ms is thousands of times what one needs.
	DefaultExprTimeout = 100 * time.Millisecond
	// DefaultExprMaxSize bounds a text an expression or template builds, in bytes (64 KiB,
	// sixteen times WhatsApp's longest message).
	DefaultExprMaxSize = 64 << 10
	// DefaultExprMaxItems bounds the list items, map entries and range elements one
	// evaluation creates, all loops together (expr's memory budget).
	DefaultExprMaxItems = 100_000
)

// ErrBudget is the error of an evaluation that went over its Budget: it ran too long or
// built too large a text or list. It is a run-time error for the one conversation, which
// the engine answers as any failed expression.
var ErrBudget = errors.New("over the expression budget")

// Budget bounds one evaluation of an expression or template. The zero value, and a nil
// *Budget in Env, mean the defaults. A Budget is read-only once evaluations use it.
type Budget struct {
	Timeout  time.Duration // wall time of one evaluation
	MaxSize  int           // bytes of a text built
	MaxItems int           // items of lists, maps and ranges created
}

func (b *Budget) timeout() time.Duration {
	if b == nil || b.Timeout <= 0 {
		return DefaultExprTimeout
	}
	return b.Timeout
}

func (b *Budget) maxSize() int {
	if b == nil || b.MaxSize <= 0 {
		return DefaultExprMaxSize
	}
	return b.MaxSize
}

func (b *Budget) maxItems() uint {
	if b == nil || b.MaxItems <= 0 {
		return DefaultExprMaxItems
	}
	return uint(b.MaxItems)
}

// budgetOptions are the compile options that make evaluations count what they build:
// a + b that may join texts, and repeat, go through checked functions. The element count
// is expr's own memory budget, set per run in Eval.
func budgetOptions() []expr.Option {
	return []expr.Option{
		expr.Patch(concatPatcher{}),
		expr.Function(catFunc, catChecked),
		expr.Function("repeat", repeatChecked, new(func(string, int) string)),
	}
}

// catFunc is the name + becomes when it may join texts; it cannot be written in a flow.
const catFunc = "__wasla_cat"

// concatPatcher rewrites a + b into __wasla_cat(a, b, $env) unless both sides are
// known to be numbers, so that a loop doubling a text stops at the budget instead of
// allocating gigabytes.
type concatPatcher struct{}

func (concatPatcher) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "+" || !mayJoinTexts(b.Left.Type(), b.Right.Type()) {
		return
	}
	call := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: catFunc},
		Arguments: []ast.Node{b.Left, b.Right, &ast.IdentifierNode{Value: "$env"}},
	}
	ast.Patch(node, call)
}

// mayJoinTexts reports whether a + b may join two texts: both are texts, or one side's
// type is unknown until run time (a variable) and the other's is text or unknown. Other
// pairs keep expr's own + and its type errors ("text + number").
func mayJoinTexts(l, r reflect.Type) bool {
	unknown := func(t reflect.Type) bool { return t == nil || t.Kind() == reflect.Interface }
	text := func(t reflect.Type) bool { return t != nil && t.Kind() == reflect.String }
	return (text(l) || unknown(l)) && (text(r) || unknown(r))
}

func envOf(v any) *Env {
	switch e := v.(type) {
	case *Env:
		return e
	case Env:
		return &e
	}
	return nil
}

// overBudget checks the time spent since the evaluation started and the size of a text
// about to be built.
func overBudget(env *Env, size int) error {
	if env == nil {
		return nil
	}
	if max := env.Budget.maxSize(); size > max {
		return fmt.Errorf("%w: a text of %d bytes, over the limit of %d", ErrBudget, size, max)
	}
	if !env.evalStart.IsZero() {
		if d := time.Since(env.evalStart); d > env.Budget.timeout() {
			return fmt.Errorf("%w: running for %v, over the limit of %v", ErrBudget, d.Round(time.Millisecond), env.Budget.timeout())
		}
	}
	return nil
}

func catChecked(args ...any) (any, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("%s takes 3 arguments", catFunc)
	}
	a, b := args[0], args[1]
	sa, aok := a.(string)
	sb, bok := b.(string)
	if aok && bok {
		if err := overBudget(envOf(args[2]), len(sa)+len(sb)); err != nil {
			return nil, err
		}
		return sa + sb, nil
	}
	if err := overBudget(envOf(args[2]), 0); err != nil {
		return nil, err
	}
	return runtime.Add(a, b), nil
}

// repeatChecked is expr's repeat with the size known before it is built. It cannot see
// the Env: it holds the default size, which a configured budget can only lower through
// the result check in Eval.
func repeatChecked(args ...any) (any, error) {
	s, ok := args[0].(string)
	n, nok := args[1].(int)
	if !ok || !nok {
		return nil, fmt.Errorf("repeat(text, count) got %T and %T", args[0], args[1])
	}
	if n < 0 {
		return nil, fmt.Errorf("repeat: negative count %d", n)
	}
	if n > 0 && len(s) > DefaultExprMaxSize/n {
		return nil, fmt.Errorf("%w: repeat would build %d bytes, over the limit of %d", ErrBudget, len(s)*n, DefaultExprMaxSize)
	}
	return strings.Repeat(s, n), nil
}

// checkResult applies the budget to what an evaluation returned, and to its duration.
func checkResult(env *Env, out any) error {
	switch v := out.(type) {
	case string:
		return overBudget(env, len(v))
	case []any:
		if max := env.Budget.maxItems(); uint(len(v)) > max {
			return fmt.Errorf("%w: a list of %d items, over the limit of %d", ErrBudget, len(v), max)
		}
	}
	return overBudget(env, 0)
}
