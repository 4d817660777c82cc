package expr

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// BudgetWarnings names the constructs of src that are obviously unbounded: a range whose
// bound is known only at run time or exceeds the item budget, a repeat whose count is not
// a constant, a reduce that doubles its accumulator. They load (the budget stops them at
// run time), but the author is told where the conversation will fail.
func BudgetWarnings(src string) []string {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil
	}
	w := &budgetLint{}
	ast.Walk(&tree.Node, w)
	return w.found
}

type budgetLint struct{ found []string }

func (w *budgetLint) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		switch {
		case n.Operator == "..":
			lo, lok := n.Left.(*ast.IntegerNode)
			hi, hok := n.Right.(*ast.IntegerNode)
			switch {
			case !lok || !hok:
				w.add("the range %q has a bound known only when it runs; beyond %d items it fails (expressions.max_items)", n.String(), DefaultExprMaxItems)
			case hi.Value-lo.Value+1 > DefaultExprMaxItems:
				w.add("the range %d..%d has %d items, over the budget of %d (expressions.max_items): it always fails", lo.Value, hi.Value, hi.Value-lo.Value+1, DefaultExprMaxItems)
			}
		case n.Operator == "+" && isAcc(n.Left) && isAcc(n.Right):
			w.add("`#acc + #acc` doubles the value at every step; past %d bytes it fails (expressions.max_size)", DefaultExprMaxSize)
		}
	case *ast.BuiltinNode:
		if n.Name == "repeat" && len(n.Arguments) == 2 {
			if _, ok := n.Arguments[1].(*ast.IntegerNode); !ok {
				w.add("repeat's count is known only when it runs; past %d bytes it fails (expressions.max_size)", DefaultExprMaxSize)
			}
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && id.Value == "repeat" && len(n.Arguments) == 2 {
			if _, ok := n.Arguments[1].(*ast.IntegerNode); !ok {
				w.add("repeat's count is known only when it runs; past %d bytes it fails (expressions.max_size)", DefaultExprMaxSize)
			}
		}
	}
}

func isAcc(n ast.Node) bool {
	p, ok := n.(*ast.PointerNode)
	return ok && p.Name == "acc"
}

func (w *budgetLint) add(format string, args ...any) {
	w.found = append(w.found, "unbounded: "+fmt.Sprintf(format, args...))
}

// BudgetWarnings of a template: those of each of its expressions.
func (t *Template) BudgetWarnings() []string {
	var out []string
	for _, p := range t.parts {
		if p.expr != nil {
			out = append(out, BudgetWarnings(p.expr.Source)...)
		}
	}
	return out
}
