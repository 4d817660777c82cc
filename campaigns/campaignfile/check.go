package campaignfile

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// checker walks a YAML node against a yamlfile.Spec and collects every problem: unknown
// keys (with a suggestion), repeated keys, missing required keys, wrong kinds, values out
// of an enum, a pattern or a range. It is the part of loading that the JSON Schema says
// too; the loader's own checks (expressions, zones, hours) come after.
type checker struct {
	file  string
	data  []byte
	diags yamlfile.Diagnostics
}

func (c *checker) errorf(code yamlfile.Code, n *yaml.Node, format string, args ...any) {
	d := yamlfile.Diagnostic{Pos: yamlfile.Pos{File: c.file}, Level: yamlfile.LevelError, Code: code, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		d.Pos.Line, d.Pos.Col = n.Line, n.Column
	}
	c.diags = append(c.diags, d)
}

func (c *checker) check(n *yaml.Node, s *yamlfile.Spec, what string) {
	if n.Kind == yaml.AliasNode {
		c.errorf(yamlfile.CodeUnsupported, n, "%s is an alias (*name); write the value out", what)
		return
	}
	switch s.Kind {
	case yamlfile.KindObject:
		c.object(n, s, what)
	case yamlfile.KindList:
		if n.Kind != yaml.SequenceNode {
			c.errorf(yamlfile.CodeWrongType, n, "%s must be a list, found %s", what, yamlfile.Quote(n))
			return
		}
		if len(n.Content) < s.MinItems {
			c.errorf(yamlfile.CodeBadValue, n, "%s must have at least %d item(s), found %d", what, s.MinItems, len(n.Content))
		}
		for i, item := range n.Content {
			c.check(item, s.Elem, fmt.Sprintf("%s[%d]", what, i))
		}
	case yamlfile.KindString, yamlfile.KindInt, yamlfile.KindBool, yamlfile.KindDuration:
		c.scalar(n, s, what)
	}
}

func (c *checker) object(n *yaml.Node, s *yamlfile.Spec, what string) {
	if n.Kind != yaml.MappingNode {
		c.errorf(yamlfile.CodeWrongType, n, "%s must be a mapping of keys to values, found %s", what, yamlfile.Quote(n))
		return
	}
	names := slices.Sorted(slices.Values(s.Names()))
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" {
			c.errorf(yamlfile.CodeUnsupported, k, "merge keys (<<) are not supported in %s; write the keys out", what)
			continue
		}
		f := s.Field(k.Value)
		if f == nil {
			c.errorf(yamlfile.CodeUnknownKey, k, "unknown key `%s` in %s%s", k.Value, what, yamlfile.DidYouMean(k.Value, names))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			c.errorf(yamlfile.CodeDuplicate, k, "key `%s` appears twice in %s; the first is at line %d", k.Value, what, first.Line)
			continue
		}
		seen[k.Value] = k
		c.check(v, f.Spec, child(what, k.Value))
	}
	for _, f := range s.Fields {
		if f.Required && seen[f.Name] == nil {
			c.errorf(yamlfile.CodeMissingKey, n, "%s lacks the required key `%s`: %s", what, f.Name, strings.TrimSuffix(f.Doc, "."))
		}
	}
}

func child(what, key string) string {
	if what == "the campaign" {
		return "`" + key + "`"
	}
	return "`" + strings.Trim(what, "`") + "." + key + "`"
}

func (c *checker) scalar(n *yaml.Node, s *yamlfile.Spec, what string) {
	if n.Kind != yaml.ScalarNode {
		c.errorf(yamlfile.CodeWrongType, n, "%s must be a single value, found %s", what, yamlfile.Quote(n))
		return
	}
	v := strings.TrimSpace(n.Value)
	switch s.Kind {
	case yamlfile.KindInt:
		i, err := strconv.Atoi(v)
		if err != nil || n.Tag == "!!str" {
			c.errorf(yamlfile.CodeWrongType, n, "%s must be a whole number, found %s", what, yamlfile.Quote(n))
			return
		}
		if s.Min != nil && i < *s.Min {
			c.errorf(yamlfile.CodeBadValue, n, "%s must be at least %d, found %d", what, *s.Min, i)
		}
	case yamlfile.KindBool:
		if n.Tag != "!!bool" {
			c.errorf(yamlfile.CodeWrongType, n, "%s must be true or false, found %s", what, yamlfile.Quote(n))
		}
	case yamlfile.KindDuration:
		d, err := yamlfile.ParseDuration(v)
		if err != nil || d <= 0 {
			c.errorf(yamlfile.CodeBadValue, n, "%s must be a positive duration such as 30m, 6h or 2d, found %s", what, yamlfile.Quote(n))
		}
	case yamlfile.KindString:
		if n.Tag == "!!null" {
			v = ""
		}
		if len(v) < s.MinLen {
			c.errorf(yamlfile.CodeBadValue, n, "%s must not be empty", what)
			return
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
			c.errorf(yamlfile.CodeBadValue, n, "%s must be one of %s, found %s%s", what, strings.Join(s.Enum, ", "), yamlfile.Quote(n), yamlfile.DidYouMean(v, s.Enum))
			return
		}
		if s.Pattern != "" && v != "" && !regexp.MustCompile(s.Pattern).MatchString(v) {
			c.errorf(yamlfile.CodeBadValue, n, "%s %s, found %s", what, patternText(s), yamlfile.Quote(n))
		}
	}
}

// patternText says in words what a pattern of this package wants.
func patternText(s *yamlfile.Spec) string {
	switch s.Pattern {
	case patternName:
		return "must be lower-case letters, digits, - and _, starting with a letter or digit"
	case patternPercent:
		return "must be a percentage such as 10% or 2.5%"
	case patternDigits:
		return "must be digits only (Meta's phone number id)"
	case patternTime:
		return "must be a time with its offset, such as 2026-02-18T19:00:00+03:00"
	}
	return "must match " + s.Pattern
}
