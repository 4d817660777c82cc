package schema

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/wasla/wasla/flowtest"
)

// The checked-in schema of conversation tests, served by TestsFile.
//
//go:embed test.schema.json
var checkedInTests []byte

// TestsFile returns the checked-in test.schema.json, the schema of conversation test files
// (*.test.yaml).
func TestsFile() []byte { return slices.Clone(checkedInTests) }

// Patterns of the test-file values that the parser reads with Go's own functions; the
// schema checks their form only (a start of 31 February passes here and fails in the
// parser).
const (
	// patternTime is RFC 3339 as time.Parse reads it.
	patternTime = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`
	// patternClockMove is flowtest.ParseDuration's syntax: a plus sign, days, then Go
	// duration syntax; at least one part.
	patternClockMove = `^\+?([0-9]+d(` + durationPart + `)*|(` + durationPart + `)+)$`
	durationPart     = `([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)`
	patternNotBlank  = `\S`
	patternStatus    = `^[1-5][0-9][0-9]$`
)

// GenerateTests returns the JSON Schema of conversation test files described by defs,
// indented, with a final new line. Editors validate each YAML document of a file on its
// own, so the schema describes one document: one test.
func GenerateTests(defs *flowtest.Definitions) ([]byte, error) {
	root := obj{}
	root.set("$schema", Draft)
	root.set("title", "wasla conversation test")
	g := &testGenerator{}
	for _, kv := range g.value(defs.Test) {
		root.set(kv.k, kv.v)
	}
	if g.err != nil {
		return nil, fmt.Errorf("generating test schema: %w", g.err)
	}
	out, err := render(root)
	if err != nil {
		return nil, fmt.Errorf("generating test schema: %w", err)
	}
	return out, nil
}

// testGenerator keeps the first problem met while walking the definitions.
type testGenerator struct {
	err error
}

// value returns the schema of a test-file value.
func (g *testGenerator) value(v *flowtest.Value) obj {
	o := obj{}
	if v.Doc != "" {
		o.set("description", v.Doc)
	}
	scalar := []string{"string", "number", "boolean"}
	switch v.Kind {
	case flowtest.ValueText:
		o.set("type", scalar)
	case flowtest.ValueName:
		o.set("type", scalar)
		o.set("pattern", patternNotBlank)
	case flowtest.ValueBool:
		o.set("type", "boolean")
	case flowtest.ValueTrue:
		o.set("type", "boolean")
		o.set("const", true)
	case flowtest.ValueTime:
		o.set("type", "string")
		o.set("pattern", patternTime)
	case flowtest.ValueDuration:
		o.set("type", "string")
		o.set("pattern", patternClockMove)
	case flowtest.ValueNames:
		// One value stands for a list of one.
		o.set("type", append(slices.Clone(scalar), "array"))
		item := obj{}
		item.set("type", scalar)
		item.set("pattern", patternNotBlank)
		o.set("items", item)
	case flowtest.ValueEnum:
		o.set("type", "string")
		o.set("enum", v.Enum)
	case flowtest.ValueLocation:
		o.set("type", "array")
		o.set("items", []any{coordinate("latitude", 90), coordinate("longitude", 180)})
		o.set("minItems", 2)
		o.set("maxItems", 2)
	case flowtest.ValueStatus:
		// A number, or a quoted one: the parser reads the text.
		o.set("type", []string{"integer", "string"})
		o.set("minimum", 100)
		o.set("maximum", 599)
		o.set("pattern", patternStatus)
	case flowtest.ValueAny:
	case flowtest.ValueMapping:
		o.set("type", "object")
		props := obj{}
		var required []string
		for _, f := range v.Fields {
			props.set(f.Name, g.field(f))
			if f.Required {
				required = append(required, f.Name)
			}
		}
		o.set("properties", props)
		if len(required) > 0 {
			o.set("required", required)
		}
		o.set("additionalProperties", false)
		if v.OneKey {
			o.set("minProperties", 1)
			o.set("maxProperties", 1)
		} else if v.MinItems > 0 {
			o.set("minProperties", v.MinItems)
		}
		if pairs := exclusivePairs(v.Exclusive); len(pairs) == 1 {
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
	case flowtest.ValueVars:
		o.set("type", "object")
		if v.MinItems > 0 {
			o.set("minProperties", v.MinItems)
		}
	case flowtest.ValueMocks:
		o.set("type", "object")
		key := obj{}
		key.set("pattern", `^\s*(`+strings.Join(append(slices.Clone(v.Enum), lower(v.Enum)...), "|")+`) +https?://[^\s/?#]`)
		o.set("propertyNames", key)
		o.set("additionalProperties", g.value(v.Elem))
	case flowtest.ValueMockAnswer:
		// Any value; only a mapping's $ keys are checked, so no type is set.
		props := obj{}
		var names []string
		for _, f := range v.Fields {
			props.set(f.Name, g.field(f))
			names = append(names, f.Name)
		}
		o.set("properties", props)
		plain := obj{}
		plain.set("pattern", `^\$`)
		notDollar := obj{}
		notDollar.set("not", plain)
		known := obj{}
		known.set("enum", names)
		keys := obj{}
		keys.set("anyOf", []any{notDollar, known})
		o.set("propertyNames", keys)
	case flowtest.ValueList:
		o.set("type", "array")
		o.set("items", g.value(v.Elem))
		if v.MinItems > 0 {
			o.set("minItems", v.MinItems)
		}
	case flowtest.ValueAnyOf:
		var alts []any
		for _, a := range v.Alts {
			alts = append(alts, g.value(a))
		}
		o.set("anyOf", alts)
	default:
		if g.err == nil {
			g.err = fmt.Errorf("test value kind %d has no schema", v.Kind)
		}
	}
	return o
}

// field returns a key's schema with the key's description first, which editors show
// on hover and beside completions.
func (g *testGenerator) field(f *flowtest.Field) obj {
	out := obj{{"description", f.Doc}}
	for _, kv := range g.value(f.Value) {
		if kv.k != "description" {
			out = append(out, kv)
		}
	}
	return out
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

func coordinate(name string, limit int) obj {
	o := obj{}
	o.set("description", "The "+name+".")
	o.set("type", "number")
	o.set("minimum", -limit)
	o.set("maximum", limit)
	return o
}

func lower(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = strings.ToLower(w)
	}
	return out
}
