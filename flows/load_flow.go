package flows

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
	"github.com/wasla/wasla/yamlfile"
)

// loader holds the state of one load: the files in load order, the flows found so far and
// every diagnostic.
type loader struct {
	defs     *Definitions
	diags    Diagnostics
	files    []*file
	flows    []*flowState          // in load order, duplicates included
	byName   map[string]*flowState // the first flow of each name
	triggers []*Trigger            // in load order
	fallback *Trigger
	settings *settingsState
	// queueRefs are the queue names hand-offs give, checked against settings.queues.
	queueRefs []queueRef
}

// queueRef is a queue name written in a flow or the settings.
type queueRef struct {
	f    *file
	node *yaml.Node
}

// flowState is a flow being built, with what the later passes need.
type flowState struct {
	f        *file
	flow     *Flow
	nameNode *yaml.Node
	steps    []*stepState
	refs     []targetRef
	calls    []callRef
	dup      bool              // another flow of this name came first; not part of the set
	aliases  map[string]string // positional name (`say_3`) -> step id, for targets
}

type stepState struct {
	step *Step
	node *yaml.Node
	idAt *yaml.Node // the id's value node, or the step's mapping for a default id
	kind string     // the step's kind key as written (`untag`, not tag); "" when unreadable
	// alias is the positional name `<kind>_<n>`, still accepted as a target.
	alias    string
	explicit bool // the step has an `id`
}

// targetRef is a target written in a flow, resolved once every flow is known.
type targetRef struct {
	dst  *Target
	raw  string
	node *yaml.Node
}

// callRef is a call step's flow name, checked once every flow is known.
type callRef struct {
	name string
	node *yaml.Node
}

func build(srcs []source, diags Diagnostics) (*Set, Diagnostics) {
	l := &loader{defs: FormatDefinitions(), diags: diags, byName: map[string]*flowState{}}
	order := map[string]int{}
	for _, src := range srcs {
		if _, dup := order[src.name]; dup {
			continue // a file named twice (a folder and a file in it) loads once
		}
		order[src.name] = len(order)
		l.loadFile(src)
	}
	l.resolve()
	settings := l.finishSettings()
	l.reachability()
	l.endlessLoops()

	set := &Set{Flows: map[string]*Flow{}, Settings: settings}
	for _, fs := range l.flows {
		if !fs.dup && fs.flow.Name != "" {
			set.Flows[fs.flow.Name] = fs.flow
			for _, s := range fs.flow.Steps {
				if s.HTTP != nil && s.HTTP.Timeout == 0 {
					s.HTTP.Timeout = settings.HTTPTimeout
				}
			}
		}
	}
	if len(srcs) > 0 && len(set.Flows) == 0 && !l.diags.HasErrors() {
		l.diags = append(l.diags, Diagnostic{Pos: Pos{File: srcs[0].name, Line: 1, Col: 1}, Level: LevelError,
			Message: "the set has no flow; a flow file starts with `flow: name`"})
	}
	if len(srcs) == 0 && !l.diags.HasErrors() {
		l.diags = append(l.diags, Diagnostic{Pos: Pos{File: "."}, Level: LevelError, Message: "no flow files given"})
	}
	set.Triggers = slices.Clone(l.triggers)
	// Stable: equal priorities keep load order (file path order, then position).
	slices.SortStableFunc(set.Triggers, func(a, b *Trigger) int { return cmp.Compare(b.Priority, a.Priority) })
	l.diags.Sort(order)
	if l.diags.HasErrors() {
		return nil, l.diags
	}
	return set, l.diags
}

// loadFile reads one file: a flow or the settings.
func (l *loader) loadFile(src source) {
	source := expr.NewSource(src.name, src.data)
	f := &file{l: l, name: src.name, lines: source.Lines, src: source}
	l.files = append(l.files, f)
	root := f.parseYAML(src.data)
	if root == nil {
		return
	}
	if root.Kind != yaml.MappingNode {
		f.errorAt(yamlfile.CodeWrongType, root, "a flow file holds a mapping with `flow:` or `settings:`, found %s", yamlfile.Describe(root))
		return
	}
	var flowKey, settingsKey *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch k := root.Content[i]; k.Value {
		case "flow":
			flowKey = cmp.Or(flowKey, k)
		case "settings":
			settingsKey = cmp.Or(settingsKey, k)
		}
	}
	switch {
	case flowKey != nil && settingsKey != nil:
		f.errorAt(yamlfile.CodeConflict, settingsKey, "a file holds a flow or the settings, not both; move `settings:` to a file of its own")
		l.loadFlow(f, root, map[string]bool{"settings": true})
	case settingsKey != nil:
		if f.check(root, l.defs.Settings, "settings file") {
			l.loadSettings(f, root)
		}
	default:
		l.loadFlow(f, root, nil)
	}
}

// mapping is a tolerant view of a mapping node for the builders: shapes were checked
// already, so a value of the wrong kind reads as absent without a second report.
type mapping struct {
	f    *file
	node *yaml.Node
	keys map[string]*yaml.Node
	vals map[string]*yaml.Node
}

func (f *file) view(n *yaml.Node) *mapping {
	m := &mapping{f: f, node: n, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	if n == nil || n.Kind != yaml.MappingNode {
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := m.vals[k.Value]; dup || k.Kind != yaml.ScalarNode {
			continue
		}
		m.keys[k.Value] = k
		m.vals[k.Value] = n.Content[i+1]
	}
	return m
}

// scalar returns a key's value node when it is a non-null scalar.
func (m *mapping) scalar(key string) *yaml.Node {
	v := m.vals[key]
	if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return nil
	}
	return v
}

func (m *mapping) has(key string) bool { return m.vals[key] != nil }

func (m *mapping) str(key string) string {
	if v := m.scalar(key); v != nil {
		return v.Value
	}
	return ""
}

func (m *mapping) text(key string) *expr.Template {
	v := m.scalar(key)
	if v == nil {
		return nil
	}
	return m.f.template(v)
}

func (f *file) template(v *yaml.Node) *expr.Template {
	t, err := f.src.CompileTemplate(v)
	if err != nil {
		f.exprError(v, err)
		return nil
	}
	for _, w := range t.BudgetWarnings() {
		f.warnAt(yamlfile.CodeExpression, v, "%s", w)
	}
	return t
}

func (m *mapping) expr(key string, want expr.ExprType) *expr.Expr {
	v := m.scalar(key)
	if v == nil {
		return nil
	}
	return m.f.expr(v, want)
}

func (f *file) expr(v *yaml.Node, want expr.ExprType) *expr.Expr {
	e, err := f.src.CompileExpr(v, want)
	if err != nil {
		f.exprError(v, err)
		return nil
	}
	for _, w := range expr.BudgetWarnings(e.Source) {
		f.warnAt(yamlfile.CodeExpression, v, "%s", w)
	}
	return e
}

func (m *mapping) duration(key string) time.Duration {
	v := m.scalar(key)
	if v == nil {
		return 0
	}
	d, err := yamlfile.ParseDuration(v.Value)
	if err != nil {
		return 0
	}
	return d
}

func (m *mapping) integer(key string, def int) int {
	v := m.scalar(key)
	if v == nil {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v.Value, "_", ""))
	if err != nil {
		return def
	}
	return n
}

func (m *mapping) boolean(key string) bool {
	v := m.scalar(key)
	return v != nil && v.ShortTag() == "!!bool" && v.Value == "true"
}

// strings reads a text or a list of texts.
func (m *mapping) strings(key string) []string {
	v := m.vals[key]
	if v == nil {
		return nil
	}
	return scalarList(v)
}

func scalarList(v *yaml.Node) []string {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.ShortTag() != "!!null" {
			return []string{v.Value}
		}
	case yaml.SequenceNode:
		var out []string
		for _, c := range v.Content {
			if c.Kind == yaml.ScalarNode && c.ShortTag() != "!!null" {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}

// loadFlow builds a flow from a file's root mapping.
func (l *loader) loadFlow(f *file, root *yaml.Node, skip map[string]bool) {
	f.checkObject(root, l.defs.Flow, "flow file", skip)
	m := f.view(root)
	fs := &flowState{f: f, nameNode: m.scalar("flow")}
	name := ""
	if fs.nameNode != nil && flowNameRE.MatchString(fs.nameNode.Value) {
		name = fs.nameNode.Value
	}
	fs.flow = &Flow{Name: name, Description: m.str("description"), File: f.name}
	if name != "" {
		if first, dup := l.byName[name]; dup {
			fs.dup = true
			f.errorAt(yamlfile.CodeDuplicate, fs.nameNode, "duplicate flow `%s`; first defined at %s", name, posString(first.f.pos(first.nameNode)))
		} else {
			l.byName[name] = fs
		}
	}
	l.flows = append(l.flows, fs)

	priority := m.integer("priority", 0)
	if tn := m.vals["triggers"]; tn != nil && tn.Kind == yaml.SequenceNode {
		for _, n := range tn.Content {
			if t := l.loadTrigger(fs, n, priority); t != nil {
				fs.flow.Triggers = append(fs.flow.Triggers, t)
				if !fs.dup && name != "" {
					l.triggers = append(l.triggers, t)
				}
			}
		}
	}
	var steps []*Step
	if sn := m.vals["steps"]; sn != nil && sn.Kind == yaml.SequenceNode {
		for i, n := range sn.Content {
			ss := l.loadStep(fs, n, i+1)
			if ss == nil {
				// A step that could not be read keeps its place, so that default
				// ids and reachability still count it.
				ss = &stepState{step: &Step{ID: fmt.Sprintf("<step %d>", i+1), Pos: f.pos(n)}, node: n, idAt: n}
			}
			fs.steps = append(fs.steps, ss)
			steps = append(steps, ss.step)
		}
	}
	nameSteps(fs)
	seen := map[string]*stepState{}
	for _, ss := range fs.steps {
		if first, dup := seen[ss.step.ID]; dup {
			def := ""
			if ss.idAt == ss.node {
				def = " (the default id of this step)"
			}
			f.errorAt(yamlfile.CodeDuplicate, ss.idAt, "duplicate step id `%s`%s; first used at line %d", ss.step.ID, def, first.idAt.Line)
			continue
		}
		seen[ss.step.ID] = ss
	}
	flow := NewFlow(name, f.name, fs.flow.Triggers, steps)
	flow.Description = fs.flow.Description
	fs.flow = flow
}

// loadTrigger builds one trigger of a flow.
func (l *loader) loadTrigger(fs *flowState, n *yaml.Node, flowPriority int) *Trigger {
	f := fs.f
	if n.Kind != yaml.MappingNode {
		return nil
	}
	sh, _ := variantOf(n, &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: l.defs.Triggers})
	if sh == nil {
		return nil
	}
	m := f.view(n)
	kind := sh.KindKey()
	t := &Trigger{Flow: fs.flow.Name, Priority: m.integer("priority", flowPriority), Pos: f.pos(n)}
	v := m.vals[kind]
	switch kind {
	case "keywords":
		t.Kind = TriggerKeywords
		t.Match = KeywordMatch(m.str("match"))
		if t.Match == "" {
			t.Match = MatchWord
		}
		for _, c := range scalarNodes(v) {
			k := normalize.Text(c.Value)
			if k == "" {
				f.errorAt(yamlfile.CodeBadValue, c, "keyword `%s` is empty once folded (punctuation and marks are ignored)", c.Value)
				continue
			}
			t.Keywords = append(t.Keywords, k)
		}
	case "regex":
		t.Kind = TriggerRegex
		if s := m.scalar("regex"); s != nil {
			re, err := regexp.Compile(s.Value)
			if err != nil {
				f.errorAt(yamlfile.CodeBadValue, s, "regex does not compile: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
			} else {
				t.Regex = re
			}
		}
	case "button", "list":
		t.Kind = TriggerReply
		t.ReplyIDs = scalarList(v)
	case "when":
		t.Kind = TriggerWhen
		t.When = m.expr("when", expr.BoolType)
	case "campaign":
		t.Kind = TriggerCampaign
		t.Campaign = m.str("campaign")
	case "call":
		t.Kind = TriggerCall
		t.Call = m.str("call")
	case "fallback":
		t.Kind = TriggerFallback
		if !fs.dup {
			if l.fallback != nil {
				f.errorAt(yamlfile.CodeDuplicate, n, "a set has one fallback trigger; the first is at %s", posString(l.fallback.Pos))
			} else {
				l.fallback = t
			}
		}
	}
	return t
}

func scalarNodes(v *yaml.Node) []*yaml.Node {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case yaml.ScalarNode:
		if v.ShortTag() != "!!null" {
			return []*yaml.Node{v}
		}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range v.Content {
			if c.Kind == yaml.ScalarNode && c.ShortTag() != "!!null" {
				out = append(out, c)
			}
		}
		return out
	}
	return nil
}

// target records a target key of a step for resolution once every flow is known.
func (fs *flowState) target(m *mapping, key string, dst *Target) {
	if v := m.scalar(key); v != nil {
		fs.refs = append(fs.refs, targetRef{dst: dst, raw: v.Value, node: v})
	}
}

func posString(p Pos) string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}
