package schema

import (
	_ "embed"
	"fmt"
	"slices"

	"github.com/wasla/wasla/yamlfile"
)

// The checked-in schema of the serve configuration, served by ConfigFile.
//
//go:embed config.schema.json
var checkedInConfig []byte

// ConfigFile returns the checked-in config.schema.json, the schema of wasla serve's
// configuration file.
func ConfigFile() []byte { return slices.Clone(checkedInConfig) }

// The checked-in schema of campaign files, served by CampaignFile.
//
//go:embed campaign.schema.json
var checkedInCampaign []byte

// CampaignFile returns the checked-in campaign.schema.json, the schema of campaign files.
func CampaignFile() []byte { return slices.Clone(checkedInCampaign) }

// patternEnvRef is a text holding a ${NAME} reference: a format with Spec.Expand accepts
// one wherever a scalar goes, since its value is known only when the file loads.
const patternEnvRef = `\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}`

// GenerateSpec returns the JSON Schema of a file format described by a yamlfile.Spec (the
// serve configuration; campaign files next), titled title, indented, with a final new line.
// Named specs (Def) go under definitions once and are referred to; keys keep the spec's
// order, so the output is deterministic.
func GenerateSpec(title string, spec *yamlfile.Spec) ([]byte, error) {
	g := &specGenerator{defs: obj{}, expand: spec.Expand}
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

func (g *specGenerator) inline(s *yamlfile.Spec) obj {
	o := obj{}
	if s.Doc != "" {
		o.set("description", s.Doc)
	}
	switch s.Kind {
	case yamlfile.KindObject:
		// The loaders read an empty value (`log:`) as an empty mapping.
		o.set("type", []string{"object", "null"})
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
	case yamlfile.KindList:
		o.set("type", "array")
		o.set("items", g.spec(s.Elem))
		if s.MinItems > 0 {
			o.set("minItems", s.MinItems)
		}
	case yamlfile.KindMap:
		o.set("type", []string{"object", "null"})
		if s.KeyDoc != "" {
			names := obj{}
			names.set("description", s.KeyDoc)
			names.set("minLength", 1)
			o.set("propertyNames", names)
		}
		o.set("additionalProperties", g.spec(s.Elem))
		if s.MinItems > 0 {
			o.set("minProperties", s.MinItems)
		}
	case yamlfile.KindOneOf:
		alts := make([]any, len(s.Alts))
		for i, a := range s.Alts {
			alts[i] = g.spec(a)
		}
		o.set("oneOf", alts)
	case yamlfile.KindAny:
	default:
		g.scalar(&o, s)
	}
	return o
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
			if s.Pattern != "" {
				value.set("pattern", s.Pattern)
			}
		}
	case yamlfile.KindInt:
		value.set("type", "integer")
		if s.Min != nil {
			value.set("minimum", *s.Min)
		}
	case yamlfile.KindBool:
		value.set("type", "boolean")
	case yamlfile.KindDuration:
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
