package flows

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wasla/wasla/yamlfile"
)

// flowNames returns the names of the set's flows in load order.
func (l *loader) flowNames() []string {
	var names []string
	for _, fs := range l.flows {
		if !fs.dup && fs.flow.Name != "" {
			names = append(names, fs.flow.Name)
		}
	}
	return names
}

// resolve fills in every target and checks every call, now that all flows are known.
func (l *loader) resolve() {
	for _, fs := range l.flows {
		for _, r := range fs.refs {
			if t, ok := l.resolveTarget(fs, r); ok {
				*r.dst = t
			}
		}
		for _, c := range fs.calls {
			if !flowNameRE.MatchString(c.name) {
				continue // reported by the shape check
			}
			if _, ok := l.byName[c.name]; !ok {
				fs.f.errorAt(yamlfile.CodeUndefinedTarget, c.node, "call of unknown flow `%s`%s", c.name, yamlfile.DidYouMean(c.name, l.flowNames()))
			}
		}
	}
}

// resolveTarget reads a target: a step of the same flow, a flow (its first step), or
// flow.step. A bare name that is both a step here and a flow is ambiguous.
func (l *loader) resolveTarget(fs *flowState, r targetRef) (Target, bool) {
	f := fs.f
	if !targetRE.MatchString(r.raw) {
		return Target{}, false // reported by the shape check
	}
	if flowName, stepID, dotted := strings.Cut(r.raw, "."); dotted {
		other, ok := l.byName[flowName]
		if !ok {
			f.errorAt(yamlfile.CodeUndefinedTarget, r.node, "target `%s` names no flow `%s`%s", r.raw, flowName, yamlfile.DidYouMean(flowName, l.flowNames()))
			return Target{}, false
		}
		id, ok := other.stepID(stepID)
		if !ok {
			f.errorAt(yamlfile.CodeUndefinedTarget, r.node, "target `%s`: flow `%s` has no step `%s`%s", r.raw, flowName, stepID, yamlfile.DidYouMean(stepID, stepIDs(other)))
			return Target{}, false
		}
		return Target{Flow: flowName, Step: id}, true
	}
	id, isStep := fs.stepID(r.raw)
	_, isFlow := l.byName[r.raw]
	switch {
	case isStep && isFlow:
		f.errorAt(yamlfile.CodeConflict, r.node, "target `%s` is both a step of this flow and a flow; write `%s.%s` for the step or `%s.%s` for the flow's first step, or rename one",
			r.raw, fs.flow.Name, r.raw, r.raw, firstStepID(l.byName[r.raw]))
		return Target{}, false
	case isStep:
		return Target{Flow: fs.flow.Name, Step: id}, true
	case isFlow:
		return Target{Flow: r.raw}, true
	}
	candidates := append(stepIDs(fs), l.flowNames()...)
	f.errorAt(yamlfile.CodeUndefinedTarget, r.node, "target `%s` names no step of this flow and no flow%s", r.raw, yamlfile.DidYouMean(r.raw, candidates))
	return Target{}, false
}

// stepID finds a step by its id or by its positional name (`say_3`, the third step), which
// flows written before steps were named by content still use.
func (fs *flowState) stepID(name string) (string, bool) {
	if _, _, ok := fs.flow.Step(name); ok {
		return name, true
	}
	id, ok := fs.aliases[name]
	return id, ok
}

func stepIDs(fs *flowState) []string {
	ids := make([]string, len(fs.flow.Steps))
	for i, s := range fs.flow.Steps {
		ids[i] = s.ID
	}
	return ids
}

func firstStepID(fs *flowState) string {
	if len(fs.flow.Steps) == 0 {
		return ""
	}
	return fs.flow.Steps[0].ID
}

// reachability warns about steps that nothing reaches: not the step before them, not a
// next, branch, goto, choice or failure path, in any flow. The first step of every flow is
// reachable (triggers, calls and restarts start there). A run of unreachable steps that
// follow each other is reported once, at its first step.
func (l *loader) reachability() {
	type key struct {
		fs *flowState
		i  int
	}
	seen := map[key]bool{}
	var queue []key
	visit := func(fs *flowState, i int) {
		if fs == nil || i < 0 || i >= len(fs.flow.Steps) || seen[key{fs, i}] {
			return
		}
		seen[key{fs, i}] = true
		queue = append(queue, key{fs, i})
	}
	for _, fs := range l.flows {
		visit(fs, 0)
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		l.successors(k.fs, k.i, visit)
	}
	for _, fs := range l.flows {
		for i := 1; i < len(fs.steps); i++ {
			if seen[key{fs, i}] || strings.HasPrefix(fs.steps[i].step.ID, "<") {
				continue
			}
			run := 1
			for j := i + 1; j < len(fs.steps) && !seen[key{fs, j}] && l.continuesTo(fs, j-1, j); j++ {
				run++
			}
			ss := fs.steps[i]
			also := ""
			switch {
			case run == 2:
				also = " (nor the step after it)"
			case run > 2:
				also = fmt.Sprintf(" (nor the %d steps after it)", run-1)
			}
			fs.f.warnAt(yamlfile.CodeUnreachable, ss.node, "step `%s` is never reached%s: %s, and no target names it", ss.step.ID, also, whyNotNext(fs.flow.Steps[i-1]))
			i += run - 1
		}
	}
}

// continuesTo reports whether step i of a flow can continue at step j of the same flow.
func (l *loader) continuesTo(fs *flowState, i, j int) bool {
	found := false
	l.successors(fs, i, func(to *flowState, k int) { found = found || (to == fs && k == j) })
	return found
}

// successors calls to for every step that step i of fs can continue at.
func (l *loader) successors(fs *flowState, i int, to func(fs *flowState, i int)) {
	s := fs.flow.Steps[i]
	target := func(t Target) {
		if t.IsZero() {
			return
		}
		dst := l.byName[t.Flow]
		if t.Flow == fs.flow.Name {
			dst = fs // a duplicate flow's own steps
		}
		if dst == nil {
			return
		}
		if t.Step == "" {
			to(dst, 0)
			return
		}
		if _, k, ok := dst.flow.Step(t.Step); ok {
			to(dst, k)
		}
	}
	cont := func() {
		if !s.Next.IsZero() {
			target(s.Next)
		} else {
			to(fs, i+1)
		}
	}
	branch := func(t Target) {
		if t.IsZero() {
			cont()
		} else {
			target(t)
		}
	}
	switch {
	case s.Kind == StepGoto:
		target(s.Goto)
	case s.Kind == StepEnd:
	case s.If != nil:
		branch(s.If.Then)
		branch(s.If.Else)
	case s.Switch != nil:
		for _, c := range s.Switch.Cases {
			target(c.Goto)
		}
		branch(s.Switch.Default)
	case s.Buttons != nil:
		cont()
		for _, c := range s.Buttons.Choices {
			target(c.Goto)
		}
		target(s.Buttons.OnFail)
		target(s.Buttons.OnTimeout)
	case s.List != nil:
		cont()
		for _, sec := range s.List.Sections {
			for _, c := range sec.Rows {
				target(c.Goto)
			}
		}
		target(s.List.OnFail)
		target(s.List.OnTimeout)
	case s.Ask != nil:
		cont()
		target(s.Ask.OnFail)
		target(s.Ask.OnTimeout)
	case s.HTTP != nil:
		cont()
		target(s.HTTP.OnError)
	case s.Handoff != nil:
		cont()
		target(s.Handoff.ReturnTo)
		if s.Handoff.OutOfHours != nil {
			target(s.Handoff.OutOfHours.Goto)
		}
	default:
		cont()
	}
}

// whyNotNext says why a step does not continue to the step after it.
func whyNotNext(prev *Step) string {
	switch {
	case prev.Kind == StepGoto:
		return "the step before it is a goto"
	case prev.Kind == StepEnd:
		return "the step before it ends the conversation"
	case !prev.Next.IsZero():
		return "the step before it continues at its `next`"
	case slices.Contains([]StepKind{StepIf, StepSwitch}, prev.Kind):
		return "every branch of the step before it goes elsewhere"
	}
	return "the step before it is never reached either"
}

// endlessLoops warns about steps that can never wait for input: no path from them reaches
// a question, waiting buttons or list, a wait, a call, a hand-off, an end or the end of
// their flow, so once entered they loop until the engine stops them at max_steps with a
// run-time error. One warning per flow, at its first such step.
func (l *loader) endlessLoops() {
	type node struct {
		fs *flowState
		i  int
	}
	escapes := map[node]bool{}
	var nodes []node
	for _, fs := range l.flows {
		if fs.dup {
			continue
		}
		for i, s := range fs.flow.Steps {
			n := node{fs, i}
			nodes = append(nodes, n)
			switch s.Kind {
			case StepAsk, StepWait, StepCall, StepHandoff, StepEnd:
				escapes[n] = true
			case StepButtons:
				escapes[n] = s.Buttons.Await
			case StepList:
				escapes[n] = s.List.Await
			case "":
				escapes[n] = true // unreadable, reported already
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, n := range nodes {
			if escapes[n] {
				continue
			}
			out := false
			l.successors(n.fs, n.i, func(fs *flowState, k int) {
				out = out || k >= len(fs.flow.Steps) || escapes[node{fs, k}]
			})
			if !out {
				// A step that continues nowhere (a target that did not resolve) stops
				// the run; it is no loop.
				some := false
				l.successors(n.fs, n.i, func(*flowState, int) { some = true })
				out = !some
			}
			if out {
				escapes[n], changed = true, true
			}
		}
	}
	warned := map[*flowState]bool{}
	for _, n := range nodes {
		if escapes[n] || warned[n.fs] {
			continue
		}
		warned[n.fs] = true
		ss := n.fs.steps[n.i]
		n.fs.f.warnAt(yamlfile.CodeEndlessLoop, ss.node, "step `%s` starts a loop that never waits for input: no path from it reaches an ask, waiting buttons or list, a wait, a call, a hand-off or an end, so the engine stops it after max_steps steps with a run-time error", ss.step.ID)
	}
}
