package flowtest

import (
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/wasla/wasla/flows"
)

// Coverage records which steps of which flow sets the tests reached. It is safe for
// concurrent use.
type Coverage struct {
	mu   sync.Mutex
	sets []*setCoverage
}

type setCoverage struct {
	name    string
	set     *flows.Set
	reached map[string]map[string]bool // flow → step → reached
}

// Track adds a flow set, named for the report (its folder), and returns the function that
// records a step of it as reached; pass it as RunOptions.OnStep.
func (c *Coverage) Track(name string, set *flows.Set) func(flow, step string) {
	sc := &setCoverage{name: name, set: set, reached: map[string]map[string]bool{}}
	c.mu.Lock()
	c.sets = append(c.sets, sc)
	c.mu.Unlock()
	return func(flow, step string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if sc.reached[flow] == nil {
			sc.reached[flow] = map[string]bool{}
		}
		sc.reached[flow][step] = true
	}
}

// FlowCoverage is how much of one flow the tests reached.
type FlowCoverage struct {
	Set       string // the name given to Track
	Flow      string
	Reached   int
	Total     int
	Unreached []*flows.Step // in file order
}

// Flows returns the coverage of every flow, by set in tracking order, then by flow name.
func (c *Coverage) Flows() []FlowCoverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []FlowCoverage
	for _, sc := range c.sets {
		names := make([]string, 0, len(sc.set.Flows))
		for name := range sc.set.Flows {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			f := sc.set.Flows[name]
			fc := FlowCoverage{Set: sc.name, Flow: name, Total: len(f.Steps)}
			for _, st := range f.Steps {
				if sc.reached[name][st.ID] {
					fc.Reached++
				} else {
					fc.Unreached = append(fc.Unreached, st)
				}
			}
			out = append(out, fc)
		}
	}
	return out
}

// Write prints the coverage summary: per flow, the steps reached out of all its steps,
// then each step never reached as file:line id.
func (c *Coverage) Write(w io.Writer) {
	all := c.Flows()
	if len(all) == 0 {
		return
	}
	width, reached, total := 0, 0, 0
	sets := map[string]bool{}
	for _, fc := range all {
		width = max(width, len(fc.Flow))
		reached += fc.Reached
		total += fc.Total
		sets[fc.Set] = true
	}
	fmt.Fprintf(w, "coverage: %d/%d steps (%s)\n", reached, total, percent(reached, total))
	last := ""
	for _, fc := range all {
		pad := "  "
		if len(sets) > 1 {
			if fc.Set != last {
				fmt.Fprintf(w, "  %s\n", fc.Set)
				last = fc.Set
			}
			pad = "    "
		}
		fmt.Fprintf(w, "%s%-*s  %d/%d steps\n", pad, width, fc.Flow, fc.Reached, fc.Total)
		for _, st := range fc.Unreached {
			fmt.Fprintf(w, "%s    not reached: %s:%d %s\n", pad, st.Pos.File, st.Pos.Line, st.ID)
		}
	}
}

func percent(n, of int) string {
	if of == 0 {
		return "100%"
	}
	return fmt.Sprintf("%d%%", n*100/of)
}
