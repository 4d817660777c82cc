package flowtest

import (
	"slices"
	"strings"

	"github.com/wasla/wasla/yamlfile"
)

// valueKind is a value kind of test files that package yamlfile leaves to this package
// (yamlfile.KindExt). The parser reads each with its own code; Schema gives the JSON
// Schema that package schema writes for it into test.schema.json.
type valueKind int

// The value kinds of test files.
const (
	extText       valueKind = iota + 1 // any single value, read as text (user: 123456)
	extName                            // a single value that is not blank
	extTime                            // an RFC 3339 time, such as 2026-03-01T10:00:00+03:00
	extClockMove                       // a clock move: +25h, 30m, 2d, 1d12h
	extNames                           // a list of non-blank values, or one value for a list of one
	extLocation                        // [latitude, longitude]
	extStatus                          // an HTTP status code, 100 to 599
	extMockAnswer                      // any value; in a mapping, keys that start with $ are the spec's Fields
)

var _ yamlfile.Ext = extText

// Patterns of the test-file values that the parser reads with Go's own functions; the
// schema checks their form only (a start of 31 February passes there and fails in the
// parser).
const (
	// patternTime is RFC 3339 as time.Parse reads it.
	patternTime = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`
	// patternClockMove is ParseDuration's syntax: a plus sign, days, then Go duration
	// syntax; at least one part.
	patternClockMove = `^\+?([0-9]+d(` + durationPart + `)*|(` + durationPart + `)+)$`
	durationPart     = `([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)`
	patternNotBlank  = `\S`
	patternStatus    = `^[1-5][0-9][0-9]$`
)

// Describe names the kind in messages.
func (k valueKind) Describe() string {
	switch k {
	case extText:
		return "a single value"
	case extName:
		return "a value that is not blank"
	case extTime:
		return "a time like 2026-03-01T10:00:00+03:00"
	case extClockMove:
		return "a clock move like +25h"
	case extNames:
		return "a list of values"
	case extLocation:
		return "[latitude, longitude]"
	case extStatus:
		return "an HTTP status code"
	}
	return "a value"
}

// Schema returns the JSON Schema of the kind.
func (k valueKind) Schema(s *yamlfile.Spec, sub func(*yamlfile.Spec) any) map[string]any {
	scalar := []string{"string", "number", "boolean"}
	switch k {
	case extText:
		return map[string]any{"type": scalar}
	case extName:
		return map[string]any{"type": scalar, "pattern": patternNotBlank}
	case extTime:
		return map[string]any{"type": "string", "pattern": patternTime}
	case extClockMove:
		return map[string]any{"type": "string", "pattern": patternClockMove}
	case extNames:
		// One value stands for a list of one.
		return map[string]any{"type": append(slices.Clone(scalar), "array"),
			"items": map[string]any{"type": scalar, "pattern": patternNotBlank}}
	case extLocation:
		return map[string]any{"type": "array", "minItems": 2, "maxItems": 2,
			"items": []any{coordinate("latitude", 90), coordinate("longitude", 180)}}
	case extStatus:
		// A number, or a quoted one: the parser reads the text.
		return map[string]any{"type": []string{"integer", "string"}, "minimum": 100, "maximum": 599, "pattern": patternStatus}
	case extMockAnswer:
		// Any value; only a mapping's $ keys are checked, so no type is set.
		props := map[string]any{}
		for _, f := range s.Fields {
			p := map[string]any{}
			if f.Spec.Kind == yamlfile.KindExt {
				p = f.Spec.Ext.Schema(f.Spec, sub)
			} else {
				p["allOf"] = []any{sub(f.Spec)}
			}
			p["description"] = f.Doc
			props[f.Name] = p
		}
		return map[string]any{"properties": props,
			"propertyNames": map[string]any{"anyOf": []any{
				map[string]any{"not": map[string]any{"pattern": `^\$`}},
				map[string]any{"enum": s.Names()},
			}}}
	}
	return map[string]any{}
}

func coordinate(name string, limit int) map[string]any {
	return map[string]any{"description": "The " + name + ".", "type": "number", "minimum": -limit, "maximum": limit}
}

// patternMockKey is the form of a mock's key: one of methods, in capitals or not, and an
// http or https URL.
func patternMockKey(methods []string) string {
	lower := make([]string, len(methods))
	for i, m := range methods {
		lower[i] = strings.ToLower(m)
	}
	return `^\s*(` + strings.Join(append(slices.Clone(methods), lower...), "|") + `) +https?://[^\s/?#]`
}
