package schema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/wasla/wasla/flows"
)

// The checked-in schema, served by File.
//
//go:embed flow.schema.json
var checkedIn []byte

// File returns the checked-in flow.schema.json.
func File() []byte { return slices.Clone(checkedIn) }

// Draft is the JSON Schema dialect of the generated file; draft-07 is the one every
// editor's YAML support reads.
const Draft = "http://json-schema.org/draft-07/schema#"

// Generate returns the JSON Schema of flow files described by defs, indented, with a final
// new line. The output is deterministic: keys keep the definitions' order.
func Generate(defs *flows.Definitions) ([]byte, error) {
	g := &generator{defs: obj{}}
	root := obj{}
	root.set("$schema", Draft)
	root.set("title", "wasla flow file")
	root.set("description", "A wasla flow (top-level flow:) or the settings of a flows folder (top-level settings:). See docs/flows.md.")
	root.set("oneOf", []any{g.shape(defs.Flow), g.shape(defs.Settings)})
	root.set("definitions", g.defs)
	out, err := render(root)
	if err != nil {
		return nil, fmt.Errorf("generating flow schema: %w", err)
	}
	return out, nil
}

// render writes a schema as indented JSON with a final new line.
func render(root obj) ([]byte, error) {
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

type generator struct {
	defs obj
}

// shape returns the schema of a shape; named shapes go under definitions once and are
// referred to.
func (g *generator) shape(sh *flows.Shape) any {
	if sh.Def == "" {
		return g.inline(sh)
	}
	ref := obj{}
	ref.set("$ref", "#/definitions/"+sh.Def)
	if g.defs.has(sh.Def) {
		return ref
	}
	g.defs.set(sh.Def, nil) // reserve the place first: definitions may refer to themselves
	g.defs.set(sh.Def, g.inline(sh))
	return ref
}

func (g *generator) inline(sh *flows.Shape) obj {
	o := obj{}
	if sh.Doc != "" {
		o.set("description", sh.Doc)
	}
	switch sh.Kind {
	case flows.ShapeString, flows.ShapeText:
		if len(sh.Enum) > 0 {
			o.set("type", "string")
			o.set("enum", sh.Enum)
			break
		}
		o.set("type", []string{"string", "number"})
		if sh.MinLen > 0 {
			o.set("minLength", sh.MinLen)
		}
		if sh.MaxLen > 0 {
			if sh.Kind == flows.ShapeText {
				// Only the literal text counts toward the limit, so a text with
				// {{ expressions }} is left to the loader.
				max := obj{}
				max.set("maxLength", sh.MaxLen)
				expr := obj{}
				expr.set("pattern", `\{\{`)
				o.set("anyOf", []any{max, expr})
			} else {
				o.set("maxLength", sh.MaxLen)
			}
		}
	case flows.ShapeExpr, flows.ShapeBoolExpr:
		o.set("type", []string{"string", "number", "boolean"})
	case flows.ShapeTarget:
		o.set("type", "string")
		o.set("pattern", flows.PatternTarget)
	case flows.ShapeFlowName:
		o.set("type", "string")
		o.set("pattern", flows.PatternFlowName)
	case flows.ShapeStepID:
		o.set("type", "string")
		o.set("pattern", flows.PatternStepID)
	case flows.ShapeIdent:
		o.set("type", "string")
		o.set("pattern", flows.PatternIdent)
	case flows.ShapeSetTarget:
		o.set("type", "string")
		o.set("pattern", flows.PatternSetTarget)
	case flows.ShapeDuration:
		o.set("type", "string")
		o.set("pattern", flows.PatternDuration)
		o.set("minLength", 2)
	case flows.ShapeRegex:
		o.set("type", "string")
		if sh.MinLen > 0 {
			o.set("minLength", sh.MinLen)
		}
	case flows.ShapeInt:
		o.set("type", "integer")
		if sh.Min != nil {
			o.set("minimum", *sh.Min)
		}
		if sh.Max != nil {
			o.set("maximum", *sh.Max)
		}
	case flows.ShapeBool:
		o.set("type", "boolean")
		if sh.Const != nil {
			o.set("const", sh.Const)
		}
	case flows.ShapeObject:
		o.set("type", "object")
		props := obj{}
		var required []string
		for _, f := range sh.Fields {
			p := g.shape(f.Shape)
			if f.Doc != "" {
				p = withDoc(p, f.Doc)
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
		if len(sh.ExactlyOne) > 0 {
			var alts []any
			for _, k := range sh.ExactlyOne {
				r := obj{}
				r.set("required", []string{k})
				alts = append(alts, r)
			}
			o.set("oneOf", alts)
		}
		if len(sh.Requires) > 0 {
			deps := obj{}
			keys := make([]string, 0, len(sh.Requires))
			for k := range sh.Requires {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				deps.set(k, sh.Requires[k])
			}
			o.set("dependencies", deps)
		}
	case flows.ShapeList:
		o.set("type", "array")
		o.set("items", g.shape(sh.Elem))
		if sh.MinItems > 0 {
			o.set("minItems", sh.MinItems)
		}
		if sh.MaxItems > 0 {
			o.set("maxItems", sh.MaxItems)
		}
	case flows.ShapeMap:
		o.set("type", "object")
		if sh.Key != nil {
			o.set("propertyNames", g.shape(sh.Key))
		}
		o.set("additionalProperties", g.shape(sh.Elem))
		if sh.MinItems > 0 {
			o.set("minProperties", sh.MinItems)
		}
	case flows.ShapeAny:
	case flows.ShapeOneOf:
		var alts []any
		for _, a := range sh.Alts {
			alts = append(alts, g.shape(a))
		}
		// Steps and triggers are told apart by their kind key, so exactly one
		// alternative matches; other alternatives may overlap (a body text is also
		// any value), so any one of them will do.
		if sh.Alts[0].Kind == flows.ShapeObject && sh.Def != "" {
			o.set("oneOf", alts)
		} else {
			o.set("anyOf", alts)
		}
	}
	return o
}

// withDoc sets a property's description, which editors show on hover. Beside a $ref
// draft-07 validators ignore it, as they should: it is an annotation only.
func withDoc(p any, doc string) any {
	o, ok := p.(obj)
	if !ok {
		return p
	}
	out := obj{}
	for _, kv := range o {
		if kv.k != "description" {
			out.set(kv.k, kv.v)
		}
	}
	return append(obj{{"description", doc}}, out...)
}

// obj is a JSON object that keeps its keys in the order they were set.
type obj []kv

type kv struct {
	k string
	v any
}

func (o *obj) set(k string, v any) {
	for i := range *o {
		if (*o)[i].k == k {
			(*o)[i].v = v
			return
		}
	}
	*o = append(*o, kv{k, v})
}

func (o obj) has(k string) bool {
	for _, x := range o {
		if x.k == k {
			return true
		}
	}
	return false
}

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(x.k)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalNoEscape(x.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalNoEscape is json.Marshal without HTML escaping, so that descriptions keep < > &.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
