package schema

import (
	"fmt"
	"maps"
	"slices"

	"github.com/wasla/wasla/yamlfile"
)

// patternEnvRef is a text holding a ${NAME} reference: a format with Spec.Expand accepts
// one wherever a scalar goes, since its value is known only when the file loads.
const patternEnvRef = `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`

// GenerateSpec returns the JSON Schema of a file format described by a yamlfile.Spec (the
// serve configuration; campaign files next), titled title, indented, with a final new line.
// Named specs (Def) go under definitions once and are referred to; keys keep the spec's
// order, so the output is deterministic.
func GenerateSpec(title string, spec *yamlfile.Spec) ([]byte, error) {
	g := &specGenerator{defs: obj{}, expand: spec.Expand, null: spec.EmptyIsMapping}
	root := obj{}
	root.set("$schema", Draft)
	root.set("title", title)
	for _, kv := range g.inline(spec) {
		root.set(kv.k, kv.v)
	}
	if spec.Kind == yamlfile.KindObject {
		root.set("type", "object") // an empty file is not a configuration
	}
	if len(g.defs) > 0 {
		root.set("definitions", g.defs)
	}
	out, err := render(root)
	if err != nil {
		return nil, fmt.Errorf("generating %s schema: %w", title, err)
	}
	return out, nil
}

type specGenerator struct {
	defs   obj
	expand bool // scalars may also be ${NAME} references
	null   bool // mappings may also be empty values
}

func (g *specGenerator) spec(s *yamlfile.Spec) any {
	if s.Def == "" {
		return g.inline(s)
	}
	ref := obj{}
	ref.set("$ref", "#/definitions/"+s.Def)
	if !g.defs.has(s.Def) {
		g.defs.set(s.Def, nil) // reserve the place first: definitions may refer to themselves
		g.defs.set(s.Def, g.inline(s))
	}
	return ref
}

// mappingType is the JSON type of a mapping: with EmptyIsMapping, null too.
func (g *specGenerator) mappingType() any {
	if g.null {
		return []string{"object", "null"}
	}
	return "object"
}

func (g *specGenerator) inline(s *yamlfile.Spec) obj {
	o := obj{}
	if s.Doc != "" {
		o.set("description", s.Doc)
	}
	switch s.Kind {
	case yamlfile.KindObject:
		o.set("type", g.mappingType())
		props := obj{}
		var required []string
		for _, f := range s.Fields {
			p := withDoc(g.spec(f.Spec), f.Doc)
			if f.Default != nil {
				if po, ok := p.(obj); ok {
					po.set("default", f.Default)
					p = po
				}
			}
			props.set(f.Name, p)
			if f.Required {
				required = append(required, f.Name)
			}
		}
		o.set("properties", props)
		if len(required) > 0 {
			o.set("required", required)
		}
		o.set("additionalProperties", false)
		g.keyGroups(&o, s)
	case yamlfile.KindList:
		o.set("type", "array")
		o.set("items", g.spec(s.Elem))
		if s.MinItems > 0 {
			o.set("minItems", s.MinItems)
		}
		if s.MaxItems > 0 {
			o.set("maxItems", s.MaxItems)
		}
	case yamlfile.KindMap:
		o.set("type", g.mappingType())
		switch {
		case s.Key != nil:
			o.set("propertyNames", g.spec(s.Key))
		case s.KeyDoc != "":
			names := obj{}
			names.set("description", s.KeyDoc)
			names.set("minLength", 1)
			o.set("propertyNames", names)
		}
		if s.Elem != nil {
			o.set("additionalProperties", g.spec(s.Elem))
		}
		if s.MinItems > 0 {
			o.set("minProperties", s.MinItems)
		}
		if s.MaxItems > 0 {
			o.set("maxProperties", s.MaxItems)
		}
	case yamlfile.KindOneOf:
		alts := make([]any, len(s.Alts))
		objects := true
		for i, a := range s.Alts {
			alts[i] = g.spec(a)
			objects = objects && a.Kind == yamlfile.KindObject
		}
		// Mappings without other keys (steps, triggers, a flow or its settings) are told
		// apart by their required keys, so exactly one matches; other alternatives may
		// overlap (a body text is also any value), and any one of them will do.
		if objects {
			o.set("oneOf", alts)
		} else {
			o.set("anyOf", alts)
		}
	case yamlfile.KindAny:
	case yamlfile.KindExt:
		// The keys of an extension come in a fixed order: its type first, then by name.
		m := s.Ext.Schema(s, g.spec)
		if t, ok := m["type"]; ok {
			o.set("type", t)
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if k != "description" && k != "type" {
				o.set(k, m[k])
			}
		}
	default:
		g.scalar(&o, s)
	}
	return o
}

// keyGroups writes the key groups of an object: bounds on its number of keys, exactly one
// or at most one of some keys, keys that need others.
func (g *specGenerator) keyGroups(o *obj, s *yamlfile.Spec) {
	if len(s.ExactlyOne) > 0 && len(s.ExactlyOne) == len(s.Fields) {
		// Exactly one of all its keys: one key.
		o.set("minProperties", 1)
		o.set("maxProperties", 1)
	} else {
		if s.MinItems > 0 {
			o.set("minProperties", s.MinItems)
		}
		if len(s.ExactlyOne) > 0 {
			var alts []any
			for _, k := range s.ExactlyOne {
				r := obj{}
				r.set("required", []string{k})
				alts = append(alts, r)
			}
			o.set("oneOf", alts)
		}
	}
	if pairs := exclusivePairs(s.AtMostOne); len(pairs) == 1 {
		o.set("not", pairs[0])
	} else if len(pairs) > 1 {
		var all []any
		for _, p := range pairs {
			n := obj{}
			n.set("not", p)
			all = append(all, n)
		}
		o.set("allOf", all)
	}
	if len(s.Requires) > 0 {
		deps := obj{}
		for _, k := range slices.Sorted(maps.Keys(s.Requires)) {
			deps.set(k, s.Requires[k])
		}
		o.set("dependencies", deps)
	}
}

// exclusivePairs returns {required: [a, b]} for every pair of keys of which a mapping may
// hold at most one.
func exclusivePairs(keys []string) []obj {
	var out []obj
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			o := obj{}
			o.set("required", []string{a, b})
			out = append(out, o)
		}
	}
	return out
}

// scalar sets the schema of a scalar spec on o; with expand, a ${NAME} reference is
// accepted beside it.
func (g *specGenerator) scalar(o *obj, s *yamlfile.Spec) {
	value := obj{}
	switch s.Kind {
	case yamlfile.KindString:
		switch {
		case len(s.Enum) > 0:
			value.set("type", "string")
			value.set("enum", s.Enum)
		default:
			value.set("type", []string{"string", "number"})
			if s.MinLen > 0 {
				value.set("minLength", s.MinLen)
			}
			if s.MaxLen > 0 {
				value.set("maxLength", s.MaxLen)
			}
			if s.Pattern != "" {
				value.set("pattern", s.Pattern)
			}
		}
	case yamlfile.KindInt:
		value.set("type", "integer")
		if s.Min != nil {
			value.set("minimum", *s.Min)
		}
		if s.Max != nil {
			value.set("maximum", *s.Max)
		}
	case yamlfile.KindBool:
		value.set("type", "boolean")
		if s.Const != nil {
			value.set("const", s.Const)
		}
	case yamlfile.KindDuration:
		// MaxDuration is left to the loader: a pattern cannot compare durations.
		value.set("type", "string")
		value.set("pattern", yamlfile.PatternDuration)
		value.set("minLength", 2)
		if s.AllowZero {
			zero := obj{}
			zero.set("enum", []any{0, "0"})
			value = obj{{"anyOf", []any{value, zero}}}
		}
	}
	if !g.expand {
		*o = append(*o, value...)
		return
	}
	ref := obj{}
	ref.set("type", "string")
	ref.set("pattern", patternEnvRef)
	o.set("anyOf", []any{value, ref})
}
