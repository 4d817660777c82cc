package engine

import (
	"fmt"

	"github.com/wasla/wasla/flows"
)

// maxCallDepth bounds nested calls, so a flow that calls itself fails instead of growing
// the stored state without end.
const maxCallDepth = 32

// stepGoto jumps to another step or flow.
func (r *run) stepGoto(st *flows.Step) (action, flows.Target, error) {
	return actJump, st.Goto, nil
}

// stepCall runs another flow and comes back after this step when it ends.
func (r *run) stepCall(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	s := r.sess()
	s.Stack = append(s.Stack, Frame{Flow: f.Name, Step: st.ID})
	if len(s.Stack) > maxCallDepth {
		return 0, flows.Target{}, fmt.Errorf("calls nested more than %d deep", maxCallDepth)
	}
	return actJump, flows.Target{Flow: st.Call}, nil
}
