package flowtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/yamlfile"
)

// ReadFile reads and parses the test file at path.
func ReadFile(path string) ([]*Test, yamlfile.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, yamlfile.Diagnostics{{Pos: yamlfile.Pos{File: path}, Level: yamlfile.LevelError, Code: yamlfile.CodeIO, Message: fmt.Sprintf("reading test file: %v", errors.Unwrap(err))}}
	}
	return ParseFile(path, data)
}

// ParseFile parses the test documents of data, read from file. It reports every problem
// it finds; the tests it returns are complete only when there are no diagnostics.
func ParseFile(file string, data []byte) (tests []*Test, diags yamlfile.Diagnostics) {
	p := newParser(file, data)
	defer func() {
		// yaml.v3 can panic on hostile input; a broken test file must not take the
		// runner down.
		if r := recover(); r != nil {
			p.errorAt(yamlfile.CodeYAMLSyntax, yamlfile.Pos{File: file, Line: 1, Col: 1}, "invalid YAML: %v", r)
			tests, diags = nil, p.diags
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	names := map[string]yamlfile.Pos{}
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.syntaxError(err)
			break
		}
		if len(doc.Content) == 0 || yamlfile.IsNull(doc.Content[0]) {
			continue // an empty document, such as after a trailing ---
		}
		t := p.test(doc.Content[0])
		if t == nil {
			continue
		}
		if first, dup := names[t.Name]; dup && t.Name != "" {
			p.errorAt(yamlfile.CodeDuplicate, t.Pos, "duplicate test name %q (first at line %d)", t.Name, first.Line)
		} else {
			names[t.Name] = t.Pos
		}
		tests = append(tests, t)
	}
	if len(tests) == 0 && len(p.diags) == 0 {
		p.errorAt(yamlfile.CodeMissingKey, yamlfile.Pos{File: file, Line: 1, Col: 1}, "no tests in file: each YAML document needs `test:` and `steps:`")
	}
	slices.SortStableFunc(p.diags, func(a, b yamlfile.Diagnostic) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return tests, p.diags
}

type parser struct {
	file  string
	lines []string
	defs  *Definitions // the keys each part of a test file accepts
	diags yamlfile.Diagnostics
}

func newParser(file string, data []byte) *parser {
	return &parser{file: file, lines: strings.Split(string(data), "\n"), defs: FormatDefinitions()}
}

func (p *parser) pos(n *yaml.Node) yamlfile.Pos {
	return yamlfile.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *parser) errorf(code yamlfile.Code, n *yaml.Node, format string, args ...any) {
	p.errorAt(code, p.pos(n), format, args...)
}

func (p *parser) errorAt(code yamlfile.Code, pos yamlfile.Pos, format string, args ...any) {
	p.diags = append(p.diags, yamlfile.Diagnostic{Pos: pos, Level: yamlfile.LevelError, Code: code, Message: fmt.Sprintf(format, args...), Snippet: yamlfile.Snippet(p.lines, pos)})
}

var (
	plainColon = regexp.MustCompile(`^\s*(-\s*)?[a-z_]+:\s+[^\s"'{\[|>].*: `)
)

func (p *parser) syntaxError(err error) {
	for _, se := range yamlfile.SyntaxErrors(err) {
		pos := yamlfile.Pos{File: p.file, Line: max(1, min(se.Line, len(p.lines))), Col: 1}
		msg := se.Msg
		if strings.Contains(msg, "mapping values are not allowed") && plainColon.MatchString(p.lines[pos.Line-1]) {
			// bot: contains "a: b" reads as a plain scalar, where ": " starts a mapping.
			msg += `; a value with ": " in it needs quotes around all of it, such as bot: 'contains "a: b"'`
		}
		p.errorAt(yamlfile.CodeYAMLSyntax, pos, "invalid YAML: %s", msg)
	}
}

// pairs walks the keys of a mapping node, reporting duplicate keys and keys outside
// known (with a suggestion); it calls fn for every accepted key.
func (p *parser) pairs(n *yaml.Node, what string, known []string, fn func(key string, k, v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be a mapping, found %s", what, yamlfile.Quote(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if line, dup := seen[key]; dup {
			p.errorf(yamlfile.CodeDuplicate, k, "duplicate key %q in %s (first at line %d)", key, what, line)
			continue
		}
		seen[key] = k.Line
		if known != nil && !contains(known, key) {
			p.errorf(yamlfile.CodeUnknownKey, k, "unknown key %q in %s%s", key, what, didYouMean(key, known))
			continue
		}
		fn(key, k, v)
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || yamlfile.IsNull(n) {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be a single value, found %s", what, yamlfile.Quote(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) nonEmpty(n *yaml.Node, what string) (string, bool) {
	s, ok := p.scalar(n, what)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(yamlfile.CodeBadValue, n, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be true or false, found %s", what, yamlfile.Quote(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		p.errorf(yamlfile.CodeBadValue, n, "%s: %v", what, err)
		return false, false
	}
	return b, true
}

// strings reads a list of single values, or one value standing for a list of one.
func (p *parser) strings(n *yaml.Node, what string) ([]string, bool) {
	if n.Kind == yaml.ScalarNode && !yamlfile.IsNull(n) {
		return []string{n.Value}, true
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be a list, found %s", what, yamlfile.Quote(n))
		return nil, false
	}
	out := make([]string, 0, len(n.Content))
	ok := true
	for _, item := range n.Content {
		s, good := p.nonEmpty(item, what+" item")
		ok = ok && good
		out = append(out, s)
	}
	return out, ok
}

func (p *parser) value(n *yaml.Node, what string) (any, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		p.errorf(yamlfile.CodeBadValue, n, "%s: %v", what, err)
		return nil, false
	}
	return v, true
}

func (p *parser) test(root *yaml.Node) *Test {
	t := &Test{
		Pos:     p.pos(root),
		Contact: Contact{ID: DefaultContact},
		Number:  DefaultNumber,
		Start:   DefaultStart,
	}
	var hasName, hasSteps bool
	ok := p.pairs(root, p.defs.Test.What, p.defs.Test.Names(), func(key string, k, v *yaml.Node) {
		switch key {
		case "test":
			t.Pos = p.pos(k)
			if s, ok := p.nonEmpty(v, "test"); ok {
				t.Name, hasName = s, true
			}
		case "contact":
			p.contact(v, &t.Contact)
		case "number":
			if s, ok := p.nonEmpty(v, "number"); ok {
				t.Number = chat.NumberID(s)
			}
		case "campaign":
			if s, ok := p.nonEmpty(v, "campaign"); ok {
				t.Campaign = s
			}
		case "vars":
			t.Vars = map[string]any{}
			p.pairs(v, "vars", nil, func(name string, k, v *yaml.Node) {
				if val, ok := p.value(v, "vars."+name); ok {
					t.Vars[name] = val
				}
			})
		case "start":
			if s, ok := p.nonEmpty(v, "start"); ok {
				at, err := time.Parse(time.RFC3339, s)
				if err != nil {
					p.errorf(yamlfile.CodeBadValue, v, "start: %q is not a time like 2026-03-01T10:00:00+03:00", s)
				} else {
					t.Start = at
				}
			}
		case "mocks":
			t.Mocks = p.mocks(v)
		case "steps":
			hasSteps = true
			t.Steps = p.steps(v)
		}
	})
	if !ok {
		return nil
	}
	if !hasName {
		p.errorf(yamlfile.CodeMissingKey, root, "a test needs a name: add `test: what this test shows`")
	}
	if !hasSteps {
		p.errorf(yamlfile.CodeMissingKey, root, "a test needs `steps:`")
	}
	return t
}

func (p *parser) contact(n *yaml.Node, c *Contact) {
	p.pairs(n, p.defs.Contact.What, p.defs.Contact.Names(), func(key string, k, v *yaml.Node) {
		switch key {
		case "id":
			if s, ok := p.nonEmpty(v, "contact id"); ok {
				c.ID = chat.ContactID(s)
			}
		case "name":
			if s, ok := p.scalar(v, "contact name"); ok {
				c.Name = s
			}
		case "language":
			if s, ok := p.scalar(v, "contact language"); ok {
				c.Language = s
			}
		case "tags":
			if tags, ok := p.strings(v, "contact tags"); ok {
				c.Tags = tags
			}
		}
	})
}

func (p *parser) mocks(n *yaml.Node) []*Mock {
	var out []*Mock
	p.pairs(n, "mocks", nil, func(key string, k, v *yaml.Node) {
		m := &Mock{Pos: p.pos(k), Status: http.StatusOK}
		method, rawURL, found := strings.Cut(strings.TrimSpace(key), " ")
		if !found {
			p.errorf(yamlfile.CodeBadValue, k, "mock %q must be \"METHOD URL\", such as \"GET https://shop.example/api/orders/1\"", key)
			return
		}
		m.Method, m.URL = strings.ToUpper(method), strings.TrimSpace(rawURL)
		if !contains(p.defs.Methods, m.Method) {
			p.errorf(yamlfile.CodeUnknownKey, k, "mock %q: unknown method %q; expected one of %s", key, method, strings.Join(p.defs.Methods, ", "))
			return
		}
		if u, err := url.Parse(m.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.errorf(yamlfile.CodeBadValue, k, "mock %q: %q is not an http or https URL", key, m.URL)
			return
		}
		if !p.mockAnswer(v, m) {
			return
		}
		out = append(out, m)
	})
	return out
}

// mockAnswer reads a mock's answer: a mapping or list is a 200 JSON body, in which the
// keys $status and $error set the status or fail the request; a plain string is a text body.
func (p *parser) mockAnswer(v *yaml.Node, m *Mock) bool {
	switch {
	case yamlfile.IsNull(v):
		return true
	case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
		m.Body = []byte(v.Value)
		return true
	case v.Kind == yaml.MappingNode:
		body := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
		good := true
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if !strings.HasPrefix(k.Value, "$") {
				body.Content = append(body.Content, k, val)
				continue
			}
			switch k.Value {
			case "$status":
				code, err := strconv.Atoi(val.Value)
				if val.Kind != yaml.ScalarNode || err != nil || code < 100 || code > 599 {
					p.errorf(yamlfile.CodeBadValue, val, "$status must be an HTTP status code such as 404, found %s", yamlfile.Quote(val))
					good = false
				}
				m.Status = code
			case "$error":
				s, ok := p.nonEmpty(val, "$error")
				if !ok {
					good = false
				}
				m.Error = s
			default:
				p.errorf(yamlfile.CodeUnknownKey, k, "unknown mock key %q%s (keys without $ form the JSON body)", k.Value, didYouMean(k.Value, p.defs.MockAnswer.Names()))
				good = false
			}
		}
		if len(body.Content) == 0 {
			return good
		}
		return p.jsonBody(body, m) && good
	default:
		return p.jsonBody(v, m)
	}
}

func (p *parser) jsonBody(n *yaml.Node, m *Mock) bool {
	v, ok := p.value(n, "mock answer")
	if !ok {
		return false
	}
	data, err := json.Marshal(v)
	if err != nil {
		p.errorf(yamlfile.CodeBadValue, n, "mock answer cannot be written as JSON (its keys must be plain text): %v", err)
		return false
	}
	m.Body, m.JSON = data, true
	return true
}

func (p *parser) steps(n *yaml.Node) []*Step {
	if n.Kind != yaml.SequenceNode {
		p.errorf(yamlfile.CodeWrongType, n, "steps must be a list, found %s", yamlfile.Quote(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(yamlfile.CodeBadValue, n, "steps must not be empty")
	}
	var out []*Step
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			p.errorf(yamlfile.CodeWrongType, item, "a step must be a mapping such as `user: hello` or `bot: \"...\"`, found %s", yamlfile.Quote(item))
			continue
		}
		if len(item.Content) != 2 {
			var keys []string
			for i := 0; i < len(item.Content); i += 2 {
				keys = append(keys, item.Content[i].Value)
			}
			if len(keys) == 0 {
				p.errorf(yamlfile.CodeBadValue, item, "empty step")
			} else {
				p.errorf(yamlfile.CodeConflict, item, "a step has exactly one key, found %s; start each with its own `-`", strings.Join(keys, ", "))
			}
			continue
		}
		var st *Step
		p.pairs(item, p.defs.Step.What, p.defs.Step.Names(), func(key string, k, v *yaml.Node) {
			st = p.step(StepKind(key), k, v)
		})
		if st != nil {
			out = append(out, st)
		}
	}
	return out
}

func (p *parser) step(kind StepKind, k, v *yaml.Node) *Step {
	st := &Step{Kind: kind, Pos: p.pos(k)}
	ok := true
	switch kind {
	case StepUser:
		st.Text, ok = p.scalar(v, "user")
	case StepPress, StepChoose:
		st.Text, ok = p.nonEmpty(v, string(kind))
	case StepMedia:
		ok = p.mediaTurn(v, st)
	case StepLocation:
		ok = p.location(v, st)
	case StepCall:
		st.Text, ok = p.scalar(v, "call")
	case StepBot:
		st.Bot, ok = p.bot(v)
	case StepNoReply:
		var b bool
		if b, ok = p.boolean(v, "no_reply"); ok && !b {
			p.errorf(yamlfile.CodeBadValue, v, "no_reply: false checks nothing; write no_reply: true or remove the step")
			ok = false
		}
	case StepVars:
		if v.Kind == yaml.MappingNode && len(v.Content) == 0 {
			p.errorf(yamlfile.CodeBadValue, v, "vars: list the variables to check, such as vars: { order_no: \"123456\" }")
			return nil
		}
		ok = p.pairs(v, "vars", nil, func(name string, k, v *yaml.Node) {
			if val, good := p.value(v, "vars."+name); good {
				st.Vars = append(st.Vars, VarExpect{Name: name, Value: val, Pos: p.pos(k)})
			}
		})
	case StepTags, StepNoTags, StepNoVars:
		st.Tags, ok = p.strings(v, string(kind))
	case StepHandoff:
		if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
			st.Human, ok = p.boolean(v, "handoff")
		} else {
			st.Queue, ok = p.nonEmpty(v, "handoff")
			st.Human = true
		}
	case StepOptedOut:
		st.OptedOut, ok = p.boolean(v, "opted_out")
	case StepError:
		if _, ok = p.nonEmpty(v, "error"); ok {
			st.Error = &BotExpect{}
			ok = p.textMatch(v, "error", st.Error)
		}
	case StepAgent:
		st.Text, ok = p.nonEmpty(v, string(kind))
	case StepAgentClaim, StepAgentRelease:
		if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
			var b bool
			if b, ok = p.boolean(v, string(kind)); ok && !b {
				p.errorf(yamlfile.CodeBadValue, v, "%s: false does nothing; write %s: true, or name the %s", kind, kind, map[StepKind]string{StepAgentClaim: "agent", StepAgentRelease: "step the bot continues at"}[kind])
				ok = false
			}
		} else {
			st.Text, ok = p.nonEmpty(v, string(kind))
		}
	case StepTime:
		var s string
		if s, ok = p.nonEmpty(v, "time"); ok {
			st.Text = s
			d, err := ParseDuration(s)
			if err != nil {
				p.errorf(yamlfile.CodeBadValue, v, "time: %v", err)
				ok = false
			}
			st.Advance = d
		}
	}
	if !ok {
		return nil
	}
	return st
}

func (p *parser) mediaTurn(v *yaml.Node, st *Step) bool {
	kindNode := v
	if v.Kind == yaml.MappingNode {
		if len(v.Content) != 2 {
			p.errorf(yamlfile.CodeBadValue, v, "media: give one kind and its caption, such as media: { image: \"my receipt\" }")
			return false
		}
		kindNode = v.Content[0]
		caption, ok := p.scalar(v.Content[1], "media caption")
		if !ok {
			return false
		}
		st.Text = caption
	}
	kind, ok := p.mediaKind(kindNode, "media")
	st.MediaKind = kind
	return ok
}

func (p *parser) mediaKind(n *yaml.Node, what string) (chat.Kind, bool) {
	s, ok := p.nonEmpty(n, what)
	if !ok {
		return "", false
	}
	if !contains(p.defs.MediaKinds, s) {
		p.errorf(yamlfile.CodeUnknownKey, n, "%s: unknown media kind %q%s", what, s, didYouMean(s, p.defs.MediaKinds))
		return "", false
	}
	return chat.Kind(s), true
}

func (p *parser) location(v *yaml.Node, st *Step) bool {
	if v.Kind != yaml.SequenceNode || len(v.Content) != 2 {
		p.errorf(yamlfile.CodeBadValue, v, "location must be [latitude, longitude], such as [24.7, 46.7]")
		return false
	}
	var coords [2]float64
	for i, n := range v.Content {
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			p.errorf(yamlfile.CodeWrongType, n, "location: %s is not a number", yamlfile.Quote(n))
			return false
		}
		coords[i] = f
	}
	if coords[0] < -90 || coords[0] > 90 || coords[1] < -180 || coords[1] > 180 {
		p.errorf(yamlfile.CodeBadValue, v, "location: latitude must be within ±90 and longitude within ±180")
		return false
	}
	st.Location = chat.Location{Latitude: coords[0], Longitude: coords[1]}
	return true
}

func (p *parser) bot(v *yaml.Node) (*BotExpect, bool) {
	b := &BotExpect{}
	if v.Kind == yaml.ScalarNode && !yamlfile.IsNull(v) {
		return b, p.botText(v, b)
	}
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		p.errorf(yamlfile.CodeWrongType, v, "bot: expects a text, or a mapping of %s; found %s", strings.Join(p.defs.Bot.Names(), ", "), yamlfile.Quote(v))
		return nil, false
	}
	ok := true
	p.pairs(v, p.defs.Bot.What, p.defs.Bot.Names(), func(key string, k, v *yaml.Node) {
		var good bool
		switch key {
		case "text":
			if good = v.Kind == yaml.ScalarNode && !yamlfile.IsNull(v); !good {
				p.errorf(yamlfile.CodeWrongType, v, "bot text must be a single value, found %s", yamlfile.Quote(v))
			} else {
				good = p.botText(v, b)
			}
		case "buttons":
			b.Buttons, good = p.strings(v, "bot buttons")
		case "list":
			b.List, good = p.strings(v, "bot list")
		case "template":
			b.Template, good = p.nonEmpty(v, "bot template")
		case "media":
			b.Media, good = p.mediaKind(v, "bot media")
		}
		ok = ok && good
	})
	if ok && b.Buttons != nil && b.List != nil {
		p.errorf(yamlfile.CodeConflict, v, "bot: a message has buttons or a list, not both")
		ok = false
	}
	return b, ok
}

// botText reads `exact text`, `contains "part"` or `regex "pattern"`. The quotes around
// the part and the pattern only delimit it: backslashes stay as written, so regex "\d+"
// means what it says.
func (p *parser) botText(v *yaml.Node, b *BotExpect) bool {
	return p.textMatch(v, "bot", b)
}

// textMatch reads the text forms of a `key:` expectation into b.
func (p *parser) textMatch(v *yaml.Node, key string, b *BotExpect) bool {
	s := v.Value
	b.HasText, b.Match, b.Text = true, TextExact, s
	for _, m := range []TextMatch{TextContains, TextRegex} {
		rest, found := strings.CutPrefix(s, string(m)+" ")
		if !found {
			continue
		}
		b.Match, b.Text = m, unquote(strings.TrimSpace(rest))
		if m == TextRegex {
			re, err := regexp.Compile(b.Text)
			if err != nil {
				p.errorf(yamlfile.CodeBadValue, v, "%s: regex %q does not compile: %s", key, b.Text, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
				return false
			}
			b.Regex = re
		}
		if b.Text == "" {
			p.errorf(yamlfile.CodeBadValue, v, "%s: %s needs a text after it", key, m)
			return false
		}
	}
	return true
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// ParseDuration reads a clock move such as +25h, 30m, 2d or 1d12h: a duration of package
// yamlfile (Go syntax plus days), with an optional leading plus sign. It must be positive.
func ParseDuration(s string) (time.Duration, error) {
	rest := strings.TrimPrefix(strings.TrimSpace(s), "+")
	if strings.HasPrefix(rest, "-") {
		return 0, fmt.Errorf("%q: the clock only moves forward; give a positive duration such as 30m", s)
	}
	d, err := yamlfile.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as +25h, 30m, 2d or 1d12h", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the clock only moves forward; give a positive duration such as 30m", s)
	}
	return d, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
