package engine

import (
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
)

// stepIf jumps to then or else by a condition.
func (r *run) stepIf(st *flows.Step) (action, flows.Target, error) {
	ok, err := st.If.Cond.EvalBool(r.env())
	if err != nil {
		return 0, flows.Target{}, err
	}
	if ok {
		return actJump, st.If.Then, nil
	}
	return actJump, st.If.Else, nil
}

// stepSwitch jumps to the case whose value equals the expression's, compared as folded
// text, or to the default.
func (r *run) stepSwitch(st *flows.Step) (action, flows.Target, error) {
	v, err := st.Switch.Value.Eval(r.env())
	if err != nil {
		return 0, flows.Target{}, err
	}
	// Written as a template writes it: a stored 1000000 is "1000000", not "1e+06".
	got := normalize.Text(expr.FormatValue(v))
	for _, c := range st.Switch.Cases {
		if normalize.Text(c.Value) == got { // no allocation: the loader folded it
			return actJump, c.Goto, nil
		}
	}
	return actJump, st.Switch.Default, nil
}
