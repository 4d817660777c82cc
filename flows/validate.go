package flows

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// The checks in this file are driven by the yamlfile.Spec definitions (fields.go): they report
// unknown keys, missing keys, values of the wrong kind and broken limits, each once, and
// never stop at the first. The builders that follow read the same nodes tolerantly and
// only add what needs the model (compiled expressions, resolved targets).

// The patterns of names, shared with the JSON Schema so editors and the validator agree.
const (
	PatternFlowName  = `^[a-z0-9_-]+$`
	PatternStepID    = `^[A-Za-z0-9_-]+$`
	PatternIdent     = `^[A-Za-z_][A-Za-z0-9_]*$`
	PatternTarget    = `^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$`
	PatternSetTarget = `^([A-Za-z_][A-Za-z0-9_]*|contact\.(name|language)|contact\.attrs\.[A-Za-z0-9_]+)$`
	PatternDuration  = yamlfile.PatternDuration
)

var (
	flowNameRE  = regexp.MustCompile(PatternFlowName)
	stepIDRE    = regexp.MustCompile(PatternStepID)
	identRE     = regexp.MustCompile(PatternIdent)
	targetRE    = regexp.MustCompile(PatternTarget)
	setTargetRE = regexp.MustCompile(PatternSetTarget)
)

// check reports every way node differs from sh. what names the value in messages
// ("`say`", "`options` entry"). It reports whether the node has the right kind at its top,
// so that a caller knows whether to look inside.
func (f *file) check(node *yaml.Node, sh *yamlfile.Spec, what string) bool {
	if node.Kind == yaml.AliasNode {
		f.errorAt(yamlfile.CodeUnsupported, node, "YAML aliases (*%s) are not supported in flow files; write the value out", node.Value)
		return false
	}
	switch sh.Kind {
	case yamlfile.KindObject:
		return f.checkObject(node, sh, what, nil)
	case yamlfile.KindList:
		if node.Kind != yaml.SequenceNode {
			f.wrongKind(node, sh, what)
			return false
		}
		f.checkCount(node, len(node.Content), sh, what)
		for i, item := range node.Content {
			if sh.MaxItems > 0 && i >= sh.MaxItems {
				break // already reported as too many
			}
			f.check(item, sh.Elem, what+" entry")
		}
		return true
	case yamlfile.KindMap:
		if node.Kind != yaml.MappingNode {
			f.wrongKind(node, sh, what)
			return false
		}
		f.checkCount(node, len(node.Content)/2, sh, what)
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			if !f.checkKey(k, seen) {
				continue
			}
			if sh.Key != nil {
				f.check(k, sh.Key, "key `"+k.Value+"` of "+what)
			}
			f.check(v, sh.Elem, "`"+k.Value+"`")
		}
		return true
	case yamlfile.KindOneOf:
		if isVariant(sh) {
			_, ok := f.checkVariant(node, sh, what)
			return ok
		}
		alt := pickAlt(node, sh)
		if alt == nil {
			f.wrongKind(node, sh, what)
			return false
		}
		return f.check(node, alt, what)
	case yamlfile.KindAny:
		return f.noAliases(node)
	default:
		return f.checkScalar(node, sh, what)
	}
}

// checkVariant checks a step or trigger: a mapping whose one kind key chooses its shape.
func (f *file) checkVariant(node *yaml.Node, sh *yamlfile.Spec, what string) (*yamlfile.Spec, bool) {
	noun := "step"
	if strings.HasPrefix(sh.Def, "trigger") {
		noun = "trigger"
	}
	if node.Kind != yaml.MappingNode {
		f.errorAt(yamlfile.CodeWrongType, node, "a %s is a mapping with one kind key (%s), found %s", noun, kindList(sh), yamlfile.Describe(node))
		return nil, false
	}
	alt, kinds := variantOf(node, sh)
	if alt == nil {
		var names []string
		known := map[string]bool{}
		for _, a := range sh.Alts {
			names = append(names, a.KindKey())
			for _, fl := range a.Fields {
				known[fl.Name] = true
			}
		}
		hint := ""
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			if k.Kind == yaml.ScalarNode && (k.Tag == "!!merge" || k.Value == "<<") {
				f.errorAt(yamlfile.CodeUnsupported, k, "YAML merge keys (<<) are not supported in flow files; write the keys out")
				return nil, false
			}
			if s := yamlfile.Suggest(k.Value, names); s != "" && hint == "" && !known[k.Value] {
				hint = fmt.Sprintf("; did you mean `%s` for `%s`?", s, k.Value)
			}
		}
		f.errorAt(yamlfile.CodeMissingKey, node, "%s has no kind key; want one of %s%s", noun, kindList(sh), hint)
		return nil, false
	}
	if len(kinds) > 1 {
		second := kinds[1]
		f.errorAt(yamlfile.CodeConflict, second, "%s has two kind keys, `%s` (line %d) and `%s`; a %s does one thing, split it in two",
			noun, kinds[0].Value, kinds[0].Line, second.Value, noun)
	}
	skip := map[string]bool{}
	for _, k := range kinds[1:] {
		skip[k.Value] = true
	}
	return alt, f.checkObject(node, alt, alt.What, skip)
}

// checkObject checks a mapping against an object shape; keys in skip were reported already.
func (f *file) checkObject(node *yaml.Node, sh *yamlfile.Spec, what string, skip map[string]bool) bool {
	if node.Kind != yaml.MappingNode {
		f.wrongKind(node, sh, what)
		return false
	}
	seen := map[string]*yaml.Node{}
	suggested := map[string]bool{} // fields an unknown key probably meant
	var names []string
	for _, fl := range sh.Fields {
		names = append(names, fl.Name)
	}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		if !f.checkKey(k, seen) || skip[k.Value] {
			continue
		}
		fl := sh.Field(k.Value)
		if fl == nil {
			guess := yamlfile.Suggest(k.Value, names)
			suggested[guess] = true
			f.errorAt(yamlfile.CodeUnknownKey, k, "unknown key `%s` in %s%s", k.Value, sh.What, f.unknownKeyHint(k.Value, guess, sh))
			continue
		}
		f.check(v, fl.Spec, "`"+k.Value+"`")
	}
	// A key an unknown key probably meant is not reported missing as well.
	for _, fl := range sh.Missing(func(k string) bool { return seen[k] != nil || suggested[k] }) {
		f.errorAt(yamlfile.CodeMissingKey, node, "%s needs `%s`", sh.What, fl.Name)
	}
	if len(sh.ExactlyOne) > 0 {
		var present []*yaml.Node
		for i := 0; i+1 < len(node.Content); i += 2 {
			k := node.Content[i]
			for _, name := range sh.ExactlyOne {
				if k.Value == name && seen[name] == k {
					present = append(present, k)
				}
			}
		}
		switch len(present) {
		case 0:
			if slices.ContainsFunc(sh.ExactlyOne, func(k string) bool { return suggested[k] }) {
				break
			}
			f.errorAt(yamlfile.CodeMissingKey, node, "%s needs one of %s", sh.What, backquoteList(sh.ExactlyOne))
		case 1:
		default:
			for _, k := range present[1:] {
				f.errorAt(yamlfile.CodeConflict, k, "`%s` cannot be used with `%s` (line %d); keep one", k.Value, present[0].Value, present[0].Line)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(sh.Requires)) {
		if k := seen[key]; k != nil {
			for _, need := range sh.Requires[key] {
				if seen[need] == nil {
					f.errorAt(yamlfile.CodeConflict, k, "`%s` needs `%s` beside it", key, need)
				}
			}
		}
	}
	return true
}

// unknownKeyHint suggests the likely key, or for a step names the kinds that take the key.
func (f *file) unknownKeyHint(key, guess string, sh *yamlfile.Spec) string {
	if guess != "" {
		return "; did you mean `" + guess + "`?"
	}
	if sh.KindKey() == "" || !strings.HasSuffix(sh.What, " step") {
		return ""
	}
	var kinds []string
	for _, st := range f.l.defs.Steps {
		if st.Field(key) != nil && !st.Field(key).KindKey {
			kinds = append(kinds, st.KindKey())
		}
	}
	if len(kinds) == 0 {
		return ""
	}
	return fmt.Sprintf("; `%s` belongs to %s steps", key, strings.Join(kinds, ", "))
}

// checkKey reports keys that are not plain texts, merge keys and duplicates. It reports
// whether the key is usable; seen records the first node of each key.
func (f *file) checkKey(k *yaml.Node, seen map[string]*yaml.Node) bool {
	if k.Kind != yaml.ScalarNode {
		f.errorAt(yamlfile.CodeWrongType, k, "a key must be a plain text, found %s", yamlfile.Describe(k))
		return false
	}
	if k.Tag == "!!merge" || (k.Value == "<<" && k.Style == 0) {
		f.errorAt(yamlfile.CodeUnsupported, k, "YAML merge keys (<<) are not supported in flow files; write the keys out")
		return false
	}
	if first := seen[k.Value]; first != nil {
		f.errorAt(yamlfile.CodeDuplicate, k, "duplicate key `%s`; first at line %d", k.Value, first.Line)
		return false
	}
	seen[k.Value] = k
	return true
}

func (f *file) checkCount(node *yaml.Node, n int, sh *yamlfile.Spec, what string) {
	if n < sh.MinItems {
		if sh.MinItems == 1 {
			f.errorAt(yamlfile.CodeBadValue, node, "%s is empty; it needs at least one entry", what)
		} else {
			f.errorAt(yamlfile.CodeBadValue, node, "%s has %d entries; it needs at least %d", what, n, sh.MinItems)
		}
	}
	if sh.MaxItems > 0 && n > sh.MaxItems {
		at := node
		if node.Kind == yaml.SequenceNode {
			at = node.Content[sh.MaxItems]
		} else if node.Kind == yaml.MappingNode {
			at = node.Content[2*sh.MaxItems]
		}
		f.errorAt(yamlfile.CodeLimit, at, "%s has %d entries; WhatsApp allows at most %d", what, n, sh.MaxItems)
	}
}

// checkScalar checks a scalar value: its YAML type, its syntax and its limits.
func (f *file) checkScalar(node *yaml.Node, sh *yamlfile.Spec, what string) bool {
	if node.Kind != yaml.ScalarNode || !scalarFits(node, sh) {
		f.wrongKind(node, sh, what)
		return false
	}
	v := node.Value
	switch sh.Kind {
	case yamlfile.KindBool:
		if sh.Const != nil {
			if b, _ := strconv.ParseBool(v); b != sh.Const {
				f.errorAt(yamlfile.CodeBadValue, node, "%s can only be %v", what, sh.Const)
			}
		}
	case yamlfile.KindInt:
		n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err != nil {
			f.errorAt(yamlfile.CodeWrongType, node, "%s is %s; want a whole number", what, v)
			return false
		}
		if sh.Min != nil && n < *sh.Min {
			f.errorAt(yamlfile.CodeBadValue, node, "%s is %d; want at least %d", what, n, *sh.Min)
		}
		if sh.Max != nil && n > *sh.Max {
			f.errorAt(yamlfile.CodeBadValue, node, "%s is %d; want at most %d", what, n, *sh.Max)
		}
	case yamlfile.KindDuration:
		d, err := yamlfile.ParseDuration(v)
		switch {
		case err != nil:
			f.errorAt(yamlfile.CodeBadValue, node, "%s: %v", what, err)
		case d <= 0:
			f.errorAt(yamlfile.CodeBadValue, node, "%s is %s; want more than zero", what, v)
		case sh.MaxDuration > 0 && d > sh.MaxDuration:
			f.errorAt(yamlfile.CodeBadValue, node, "%s is %s; at most %s is allowed", what, v, yamlfile.FormatDuration(sh.MaxDuration))
		}
	}
	switch sh.Ext {
	case extFlowName:
		if !flowNameRE.MatchString(v) {
			f.errorAt(yamlfile.CodeBadValue, node, "`%s` is not a valid flow name; use lower-case letters, digits, _ and -", v)
		}
	case extStepID:
		if !stepIDRE.MatchString(v) {
			f.errorAt(yamlfile.CodeBadValue, node, "`%s` is not a valid step id; use letters, digits, _ and -", v)
		}
	case extIdent:
		if !identRE.MatchString(v) {
			f.errorAt(yamlfile.CodeBadValue, node, "`%s` is not a valid variable name; use letters, digits and _, not starting with a digit", v)
		}
	case extSetTarget:
		if !setTargetRE.MatchString(v) {
			f.errorAt(yamlfile.CodeBadValue, node, "`%s` cannot be set; write a variable name (letters, digits and _), contact.name, contact.language or contact.attrs.<key>", v)
		}
	case extTarget:
		if !targetRE.MatchString(v) {
			f.errorAt(yamlfile.CodeBadValue, node, "`%s` is not a valid target; write a step id, a flow name or flow.step", v)
		}
	}
	if len(sh.Enum) > 0 && !slices.Contains(sh.Enum, v) {
		f.errorAt(yamlfile.CodeBadValue, node, "%s is `%s`; want one of %s%s", what, v, strings.Join(sh.Enum, ", "), yamlfile.DidYouMean(v, sh.Enum))
	}
	n := utf8.RuneCountInString(v)
	if sh.MinLen > 0 && n < sh.MinLen {
		if v == "" {
			f.errorAt(yamlfile.CodeBadValue, node, "%s is empty", what)
		} else {
			f.errorAt(yamlfile.CodeBadValue, node, "%s is %d characters long; want at least %d", what, n, sh.MinLen)
		}
	}
	if sh.MaxLen > 0 {
		if sh.Ext == extText && strings.Contains(v, "{{") {
			if lit := literalLen(v); lit > sh.MaxLen {
				f.errorAt(yamlfile.CodeLimit, node, "%s has %d characters besides its {{ }} parts; WhatsApp allows at most %d", what, lit, sh.MaxLen)
			}
		} else if n > sh.MaxLen {
			f.errorAt(yamlfile.CodeLimit, node, "%s is %d characters long; WhatsApp allows at most %d", what, n, sh.MaxLen)
		}
	}
	return true
}

// scalarFits reports whether a scalar's YAML type suits the shape: texts take numbers as
// written, expressions also take true and false, nothing takes an empty value.
func scalarFits(node *yaml.Node, sh *yamlfile.Spec) bool {
	tag := node.ShortTag()
	switch sh.Kind {
	case yamlfile.KindBool:
		return tag == "!!bool"
	case yamlfile.KindInt:
		return tag == "!!int"
	case yamlfile.KindString:
		return tag == "!!str" || tag == "!!int" || tag == "!!float" || tag == "!!timestamp"
	}
	switch sh.Ext {
	case extText:
		return tag == "!!str" || tag == "!!int" || tag == "!!float" || tag == "!!timestamp"
	case extExpr, extBoolExpr:
		return tag == "!!str" || tag == "!!int" || tag == "!!float" || tag == "!!bool"
	default:
		return tag == "!!str"
	}
}

// noAliases reports aliases anywhere under node.
func (f *file) noAliases(node *yaml.Node) bool {
	if node.Kind == yaml.AliasNode {
		f.errorAt(yamlfile.CodeUnsupported, node, "YAML aliases (*%s) are not supported in flow files; write the value out", node.Value)
		return false
	}
	ok := true
	for _, c := range node.Content {
		ok = f.noAliases(c) && ok
	}
	return ok
}

func (f *file) wrongKind(node *yaml.Node, sh *yamlfile.Spec, what string) {
	f.errorAt(yamlfile.CodeWrongType, node, "%s wants %s, found %s", what, describeShape(sh), yamlfile.Describe(node))
}

// isVariant reports whether a one-of shape chooses by kind key (steps and triggers).
func isVariant(sh *yamlfile.Spec) bool {
	return sh.Kind == yamlfile.KindOneOf && len(sh.Alts) > 0 && sh.Alts[0].Kind == yamlfile.KindObject && sh.Alts[0].KindKey() != ""
}

// variantOf returns the shape chosen by the kind keys of a mapping, and the kind keys that
// conflict with it (empty when the choice is clean). A kind key that is also a field of
// another present kind (ask's media: true) belongs to that kind.
func variantOf(node *yaml.Node, sh *yamlfile.Spec) (*yamlfile.Spec, []*yaml.Node) {
	var kinds []*yaml.Node
	var alts []*yamlfile.Spec
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		if k.Kind != yaml.ScalarNode || seen[k.Value] {
			continue
		}
		for _, a := range sh.Alts {
			if a.KindKey() == k.Value {
				seen[k.Value] = true
				kinds = append(kinds, k)
				alts = append(alts, a)
			}
		}
	}
	if len(kinds) == 0 {
		return nil, nil
	}
	for i, a := range alts {
		takesAll := true
		for _, k := range kinds {
			takesAll = takesAll && a.Field(k.Value) != nil
		}
		if takesAll {
			return a, []*yaml.Node{kinds[i]}
		}
	}
	return alts[0], kinds
}

// pickAlt chooses the alternative of a one-of shape that suits the node's kind.
func pickAlt(node *yaml.Node, sh *yamlfile.Spec) *yamlfile.Spec {
	for _, a := range sh.Alts {
		switch node.Kind {
		case yaml.MappingNode:
			if a.Kind == yamlfile.KindObject || a.Kind == yamlfile.KindMap || a.Kind == yamlfile.KindAny {
				return a
			}
		case yaml.SequenceNode:
			if a.Kind == yamlfile.KindList || a.Kind == yamlfile.KindAny {
				return a
			}
		case yaml.ScalarNode:
			if isScalarShape(a) && scalarFits(node, a) {
				return a
			}
		}
	}
	if node.Kind == yaml.ScalarNode && node.ShortTag() != "!!null" {
		for _, a := range sh.Alts {
			if isScalarShape(a) {
				return a // the wrong scalar type is reported by the alternative
			}
		}
	}
	return nil
}

func isScalarShape(sh *yamlfile.Spec) bool {
	switch sh.Kind {
	case yamlfile.KindObject, yamlfile.KindList, yamlfile.KindMap, yamlfile.KindOneOf, yamlfile.KindAny:
		return false
	}
	return true
}

func describeShape(sh *yamlfile.Spec) string {
	switch sh.Kind {
	case yamlfile.KindExt:
		return sh.Ext.Describe()
	case yamlfile.KindString:
		if len(sh.Enum) > 0 {
			return "one of " + strings.Join(sh.Enum, ", ")
		}
		return "a text"
	case yamlfile.KindDuration:
		return "a duration like 30s or 1d12h"
	case yamlfile.KindInt:
		return "a whole number"
	case yamlfile.KindBool:
		if sh.Const != nil {
			return fmt.Sprint(sh.Const)
		}
		return "true or false"
	case yamlfile.KindObject:
		if sh.What != "" {
			return "a mapping (" + sh.What + ")"
		}
		return "a mapping"
	case yamlfile.KindList:
		return "a list"
	case yamlfile.KindMap:
		return "a mapping"
	case yamlfile.KindOneOf:
		var parts []string
		for _, a := range sh.Alts {
			parts = append(parts, describeShape(a))
		}
		return strings.Join(parts, " or ")
	}
	return "a value"
}

func kindList(sh *yamlfile.Spec) string {
	var names []string
	for _, a := range sh.Alts {
		names = append(names, a.KindKey())
	}
	return strings.Join(names, ", ")
}

func backquoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

// literalLen counts the characters of a template outside its {{ }} parts.
func literalLen(s string) int {
	n := 0
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return n + utf8.RuneCountInString(s)
		}
		n += utf8.RuneCountInString(s[:i])
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return n
		}
		s = s[i+j+2:]
	}
}
