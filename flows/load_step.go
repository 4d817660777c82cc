package flows

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
	"github.com/wasla/wasla/yamlfile"
)

// defaultMaxRetries is how many wrong answers ask, buttons and list steps allow after the
// first when max_retries is not given.
const defaultMaxRetries = 2

// loadStep builds one step; index counts from 1 for default ids. It returns nil when the
// node is not a step at all (already reported by the shape check).
func (l *loader) loadStep(fs *flowState, n *yaml.Node, index int) *stepState {
	f := fs.f
	if n.Kind != yaml.MappingNode {
		return nil
	}
	sh, _ := variantOf(n, &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: l.defs.Steps})
	if sh == nil {
		return nil
	}
	kind := sh.KindKey()
	m := f.view(n)
	s := &Step{Pos: f.pos(n)}
	ss := &stepState{step: s, node: n, idAt: n, kind: kind, alias: fmt.Sprintf("%s_%d", kind, index)}
	if id := m.scalar("id"); id != nil {
		s.ID, ss.idAt, ss.explicit = id.Value, id, true
	} else {
		s.ID = ss.alias // until nameSteps names it by its content
	}
	fs.target(m, "next", &s.Next)
	v := m.vals[kind]
	switch kind {
	case "say":
		s.Kind, s.Say = StepSay, m.text("say")
	case "buttons":
		s.Kind, s.Buttons = StepButtons, l.loadButtons(fs, m)
	case "list":
		s.Kind, s.List = StepList, l.loadList(fs, m)
	case "template":
		s.Kind = StepTemplate
		tm := f.view(v)
		s.Template = &TemplateMsg{Name: tm.str("name"), Language: tm.str("language")}
		if p := tm.vals["params"]; p != nil && p.Kind == yaml.SequenceNode {
			for _, c := range p.Content {
				if c.Kind == yaml.ScalarNode && c.ShortTag() != "!!null" {
					s.Template.Params = append(s.Template.Params, f.template(c))
				}
			}
		}
	case "media":
		s.Kind, s.Media = StepMedia, loadMedia(f, f.view(v))
	case "ask":
		s.Kind = StepAsk
		s.Ask = &Ask{
			Prompt:     m.text("ask"),
			Save:       m.str("save"),
			Value:      m.expr("value", expr.AnyType),
			Validate:   m.expr("validate", expr.BoolType),
			Retry:      m.text("retry"),
			MaxRetries: m.integer("max_retries", defaultMaxRetries),
			Timeout:    m.duration("timeout"),
			Media:      m.boolean("media"),
		}
		fs.target(m, "on_fail", &s.Ask.OnFail)
		fs.target(m, "on_timeout", &s.Ask.OnTimeout)
		warnWaitingKeys(f, m, true)
	case "set":
		s.Kind = StepSet
		if v.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, e := v.Content[i], v.Content[i+1]
				if e.Kind == yaml.ScalarNode && e.ShortTag() != "!!null" {
					s.Set = append(s.Set, Assign{Name: k.Value, Value: f.expr(e, expr.AnyType)})
				}
			}
		}
	case "if":
		s.Kind = StepIf
		s.If = &If{Cond: m.expr("if", expr.BoolType)}
		fs.target(m, "then", &s.If.Then)
		fs.target(m, "else", &s.If.Else)
	case "switch":
		s.Kind = StepSwitch
		s.Switch = &Switch{Value: m.expr("switch", expr.AnyType)}
		if c := m.vals["cases"]; c != nil && c.Kind == yaml.MappingNode {
			s.Switch.Cases = make([]Case, 0, len(c.Content)/2)
			seen := map[string]*yaml.Node{}
			for i := 0; i+1 < len(c.Content); i += 2 {
				k := c.Content[i]
				folded := normalize.Text(k.Value)
				if first := seen[folded]; first != nil {
					if first.Value != k.Value { // equal keys are reported as duplicate keys
						f.errorAt(yamlfile.CodeDuplicate, k, "case `%s` is the same as `%s` (line %d) once folded", k.Value, first.Value, first.Line)
					}
					continue
				}
				seen[folded] = k
				s.Switch.Cases = append(s.Switch.Cases, Case{Value: folded})
			}
			// Targets point into the slice only once it has stopped growing.
			j := 0
			seen = map[string]*yaml.Node{}
			for i := 0; i+1 < len(c.Content); i += 2 {
				k := c.Content[i]
				folded := normalize.Text(k.Value)
				if seen[folded] != nil {
					continue
				}
				seen[folded] = k
				if t := c.Content[i+1]; t.Kind == yaml.ScalarNode && t.ShortTag() != "!!null" {
					fs.refs = append(fs.refs, targetRef{dst: &s.Switch.Cases[j].Goto, raw: t.Value, node: t})
				}
				j++
			}
		}
		fs.target(m, "default", &s.Switch.Default)
	case "goto":
		s.Kind = StepGoto
		fs.target(m, "goto", &s.Goto)
	case "call":
		s.Kind = StepCall
		if c := m.scalar("call"); c != nil {
			s.Call = c.Value
			fs.calls = append(fs.calls, callRef{name: c.Value, node: c})
		}
	case "wait":
		s.Kind = StepWait
		if v.Kind == yaml.MappingNode {
			s.WaitTill = f.view(v).expr("until", expr.AnyType)
		} else {
			s.Wait = m.duration("wait")
		}
	case "handoff":
		s.Kind = StepHandoff
		switch v.Kind {
		case yaml.ScalarNode:
			s.Handoff = &Handoff{Queue: v.Value}
		case yaml.MappingNode:
			hm := f.view(v)
			s.Handoff = &Handoff{Queue: hm.str("queue"), Say: hm.text("say"), Return: hm.duration("return_after")}
			fs.target(hm, "return_to", &s.Handoff.ReturnTo)
			if rt := hm.scalar("return_to"); rt != nil && !hm.has("return_after") {
				f.warnAt(yamlfile.CodeConflict, rt, "return_to is taken only when return_after passes with no agent reply; add return_after (e.g. return_after: 2h)")
			}
			if oh := hm.vals["out_of_hours"]; oh != nil {
				s.Handoff.OutOfHours = &OutOfHours{}
				if oh.Kind == yaml.MappingNode {
					om := f.view(oh)
					s.Handoff.OutOfHours.Say = om.text("say")
					fs.target(om, "goto", &s.Handoff.OutOfHours.Goto)
				} else {
					fs.target(hm, "out_of_hours", &s.Handoff.OutOfHours.Goto)
				}
			}
			if q := hm.scalar("queue"); q != nil {
				l.queueRefs = append(l.queueRefs, queueRef{f: f, node: q})
			}
		}
		if v.Kind == yaml.ScalarNode {
			l.queueRefs = append(l.queueRefs, queueRef{f: f, node: v})
		}
	case "tag":
		s.Kind, s.Tag = StepTag, &Tagging{Add: m.strings("tag")}
	case "untag":
		s.Kind, s.Tag = StepTag, &Tagging{Remove: m.strings("untag")}
	case "http":
		s.Kind, s.HTTP = StepHTTP, loadHTTP(f, f.view(v))
		s.HTTP.Save = m.str("save")
		fs.target(m, "on_error", &s.HTTP.OnError)
	case "end":
		s.Kind = StepEnd
		if v.Kind == yaml.ScalarNode && v.ShortTag() != "!!bool" && v.ShortTag() != "!!null" {
			s.End = f.template(v)
		}
	}
	return ss
}

// loadChoices reads button or row mappings. The slice is final when targets are taken.
func (fs *flowState) loadChoices(items []*yaml.Node, what string, ids, titles map[string]*yaml.Node) []Choice {
	f := fs.f
	var nodes []*yaml.Node
	for _, n := range items {
		if n.Kind == yaml.MappingNode {
			nodes = append(nodes, n)
		}
	}
	choices := make([]Choice, len(nodes))
	for i, n := range nodes {
		cm := f.view(n)
		c := &choices[i]
		c.ID = cm.str("id")
		c.Title = cm.text("title")
		c.Description = cm.text("description")
		fs.target(cm, "goto", &c.Goto)
		if idn := cm.scalar("id"); idn != nil {
			if first := ids[c.ID]; first != nil {
				f.errorAt(yamlfile.CodeDuplicate, idn, "duplicate %s id `%s`; first at line %d", what, c.ID, first.Line)
			} else {
				ids[c.ID] = idn
			}
		}
		if tn := cm.scalar("title"); tn != nil {
			folded := normalize.Text(tn.Value)
			if first := titles[folded]; first != nil && folded != "" {
				f.errorAt(yamlfile.CodeDuplicate, tn, "duplicate %s title `%s`; first at line %d (titles must differ, also once folded)", what, tn.Value, first.Line)
			} else {
				titles[folded] = tn
			}
		}
	}
	return choices
}

func (l *loader) loadButtons(fs *flowState, m *mapping) *Buttons {
	b := &Buttons{
		Text:       m.text("buttons"),
		Header:     m.text("header"),
		Footer:     m.text("footer"),
		Save:       m.str("save"),
		Retry:      m.text("retry"),
		MaxRetries: m.integer("max_retries", defaultMaxRetries),
		Timeout:    m.duration("timeout"),
	}
	fs.target(m, "on_fail", &b.OnFail)
	fs.target(m, "on_timeout", &b.OnTimeout)
	// A step waits when its answer goes somewhere: saved, or a choice with a goto.
	b.Await = m.has("save")
	if o := m.vals["options"]; o != nil && o.Kind == yaml.SequenceNode {
		b.Choices = fs.loadChoices(o.Content, "button", map[string]*yaml.Node{}, map[string]*yaml.Node{})
		b.Await = b.Await || anyHasKey(fs.f, o.Content, "goto")
	}
	warnWaitingKeys(fs.f, m, b.Await)
	return b
}

// warnWaitingKeys warns about waiting keys that can have no effect: on a buttons or list
// step that does not wait, or an on_timeout without a timeout.
func warnWaitingKeys(f *file, m *mapping, await bool) {
	if !await {
		for _, k := range []string{"retry", "max_retries", "on_fail", "timeout", "on_timeout"} {
			if kn := m.keys[k]; kn != nil {
				f.warnAt(yamlfile.CodeUnreachable, kn, "`%s` is never used: the step does not wait for an answer (give a choice a `goto` or set `save`)", k)
			}
		}
		return
	}
	if kn := m.keys["on_timeout"]; kn != nil && !m.has("timeout") {
		f.warnAt(yamlfile.CodeUnreachable, kn, "`on_timeout` is never used: the step has no `timeout`")
	}
}

// anyHasKey reports whether any mapping among nodes has key.
func anyHasKey(f *file, nodes []*yaml.Node, key string) bool {
	for _, n := range nodes {
		if n.Kind == yaml.MappingNode && f.view(n).has(key) {
			return true
		}
	}
	return false
}

func (l *loader) loadList(fs *flowState, m *mapping) *List {
	f := fs.f
	ls := &List{
		Text:       m.text("list"),
		Button:     m.text("button"),
		Header:     m.text("header"),
		Footer:     m.text("footer"),
		Save:       m.str("save"),
		Retry:      m.text("retry"),
		MaxRetries: m.integer("max_retries", defaultMaxRetries),
		Timeout:    m.duration("timeout"),
	}
	fs.target(m, "on_fail", &ls.OnFail)
	fs.target(m, "on_timeout", &ls.OnTimeout)
	ids, titles := map[string]*yaml.Node{}, map[string]*yaml.Node{}
	var rowNodes []*yaml.Node
	if r := m.vals["rows"]; r != nil && r.Kind == yaml.SequenceNode {
		rowNodes = append(rowNodes, r.Content...)
		ls.Sections = []ListSection{{Rows: fs.loadChoices(r.Content, "row", ids, titles)}}
	} else if sn := m.vals["sections"]; sn != nil && sn.Kind == yaml.SequenceNode {
		total := 0
		for _, sec := range sn.Content {
			if sec.Kind != yaml.MappingNode {
				continue
			}
			sm := f.view(sec)
			ls2 := ListSection{Title: sm.text("title")}
			if len(sn.Content) > 1 && !sm.has("title") {
				f.errorAt(yamlfile.CodeMissingKey, sec, "list section needs a `title` when the list has several sections")
			}
			if r := sm.vals["rows"]; r != nil && r.Kind == yaml.SequenceNode {
				for _, row := range r.Content {
					total++
					if total == maxListRows+1 {
						f.errorAt(yamlfile.CodeLimit, row, "the list has %d rows in all; WhatsApp allows at most %d", countRows(sn), maxListRows)
					}
				}
				rowNodes = append(rowNodes, r.Content...)
				ls2.Rows = fs.loadChoices(r.Content, "row", ids, titles)
			}
			ls.Sections = append(ls.Sections, ls2)
		}
	}
	ls.Await = m.has("save") || anyHasKey(f, rowNodes, "goto")
	warnWaitingKeys(f, m, ls.Await)
	return ls
}

func countRows(sections *yaml.Node) int {
	n := 0
	for _, sec := range sections.Content {
		if sec.Kind == yaml.MappingNode {
			if r := (&file{}).view(sec).vals["rows"]; r != nil && r.Kind == yaml.SequenceNode {
				n += len(r.Content)
			}
		}
	}
	return n
}

func loadMedia(f *file, m *mapping) *MediaMsg {
	mm := &MediaMsg{Caption: m.text("caption"), Filename: m.str("filename")}
	for _, kind := range []string{"image", "video", "audio", "document", "sticker"} {
		if m.has(kind) && mm.Kind == "" {
			mm.Kind, mm.URL = kind, m.text(kind)
		}
	}
	if mm.Kind == "" && m.has("id") {
		mm.ID, mm.Kind = m.str("id"), m.str("kind")
	}
	if k := m.keys["caption"]; k != nil && (mm.Kind == "audio" || mm.Kind == "sticker") {
		f.errorAt(yamlfile.CodeConflict, k, "WhatsApp sends no caption with %s media", mm.Kind)
	}
	if k := m.keys["filename"]; k != nil && mm.Kind != "" && mm.Kind != "document" {
		f.errorAt(yamlfile.CodeConflict, k, "`filename` is for documents, not %s media", mm.Kind)
	}
	return mm
}

func loadHTTP(f *file, m *mapping) *HTTP {
	h := &HTTP{Timeout: m.duration("timeout")}
	for _, method := range []string{"get", "post", "put", "patch", "delete"} {
		if m.has(method) && h.Method == "" {
			h.Method, h.URL = strings.ToUpper(method), m.text(method)
		}
	}
	if hn := m.vals["headers"]; hn != nil && hn.Kind == yaml.MappingNode {
		h.Headers = map[string]*expr.Template{}
		for i := 0; i+1 < len(hn.Content); i += 2 {
			k, v := hn.Content[i], hn.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.ShortTag() != "!!null" {
				h.Headers[k.Value] = f.template(v)
			}
		}
	}
	if b := m.vals["body"]; b != nil {
		if b.Kind == yaml.ScalarNode {
			if b.ShortTag() != "!!null" {
				h.Body = f.template(b)
			}
		} else {
			h.Body = jsonBody(f, b)
		}
	}
	return h
}

// jsonBody turns a YAML body mapping or list into a template that renders JSON. A text
// that holds {{ }} becomes one expression through toJSON, so that rendered values are
// always quoted and escaped; a text that is exactly one {{ expression }} keeps its type.
func jsonBody(f *file, n *yaml.Node) *expr.Template {
	var b strings.Builder
	ok := true
	var write func(n *yaml.Node)
	write = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.MappingNode:
			b.WriteByte('{')
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if i > 0 {
					b.WriteByte(',')
				}
				if strings.Contains(k.Value, "{{") {
					f.errorAt(yamlfile.CodeBadValue, k, "a body key cannot hold {{ }}; build the body as JSON text instead")
					ok = false
				}
				key, _ := json.Marshal(k.Value)
				b.Write(key)
				b.WriteByte(':')
				write(n.Content[i+1])
			}
			b.WriteByte('}')
		case yaml.SequenceNode:
			b.WriteByte('[')
			for i, c := range n.Content {
				if i > 0 {
					b.WriteByte(',')
				}
				write(c)
			}
			b.WriteByte(']')
		case yaml.ScalarNode:
			b.WriteString(jsonScalar(f, n, &ok))
		default:
			ok = false // aliases, reported by the shape check
		}
	}
	write(n)
	if !ok {
		return nil
	}
	t, err := expr.CompileTemplate(b.String(), f.pos(n))
	if err != nil {
		f.errorAt(yamlfile.CodeBadValue, n, "cannot build the JSON body: %v", err)
		return nil
	}
	return t
}

func jsonScalar(f *file, n *yaml.Node, ok *bool) string {
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!bool":
		var v bool
		if n.Decode(&v) == nil {
			return strconv.FormatBool(v)
		}
	case "!!int":
		var v int64
		if n.Decode(&v) == nil {
			return strconv.FormatInt(v, 10)
		}
	case "!!float":
		var v float64
		if n.Decode(&v) == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			out, _ := json.Marshal(v)
			return string(out)
		}
		f.errorAt(yamlfile.CodeBadValue, n, "%s is not a number JSON can hold", n.Value)
		*ok = false
		return "null"
	}
	if !strings.Contains(n.Value, "{{") {
		out, _ := json.Marshal(n.Value)
		return string(out)
	}
	t := f.template(n)
	if t == nil {
		*ok = false
		return "null"
	}
	return t.JSONSource()
}
