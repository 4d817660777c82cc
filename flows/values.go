package flows

import "github.com/wasla/wasla/yamlfile"

// valueKind is a value kind of flow files that package yamlfile leaves to this package
// (yamlfile.KindExt): texts with {{ }} templates, expressions and the names of steps, flows
// and variables. The checks of validate.go read each with its own code; Schema gives the
// JSON Schema that package schema writes for it.
type valueKind int

// The value kinds of flow files.
const (
	extText      valueKind = iota + 1 // text with {{ expression }} parts
	extExpr                           // an expression of any type
	extBoolExpr                       // an expression that must give a bool
	extTarget                         // a step id, a flow name or flow.step
	extFlowName                       // a flow name
	extStepID                         // a step id
	extIdent                          // a variable name
	extSetTarget                      // what a set step may write: a variable or a contact field
	extRegex                          // a Go regular expression
)

var _ yamlfile.Ext = extText

// Describe names the kind in "wants …" messages.
func (k valueKind) Describe() string {
	switch k {
	case extText:
		return "a text"
	case extExpr:
		return "an expression"
	case extBoolExpr:
		return "a bool expression"
	case extTarget:
		return "a target (step id, flow name or flow.step)"
	case extFlowName:
		return "a flow name"
	case extStepID:
		return "a step id"
	case extIdent:
		return "a variable name"
	case extSetTarget:
		return "a variable name or contact field"
	case extRegex:
		return "a regular expression"
	}
	return "a value"
}

// Schema returns the JSON Schema of the kind. Names are checked by their patterns;
// expressions only by their YAML type, since compiling them needs the loader.
func (k valueKind) Schema(s *yamlfile.Spec, _ func(*yamlfile.Spec) any) map[string]any {
	pattern := func(p string) map[string]any { return map[string]any{"type": "string", "pattern": p} }
	switch k {
	case extText:
		o := map[string]any{"type": []string{"string", "number"}}
		if s.MinLen > 0 {
			o["minLength"] = s.MinLen
		}
		if s.MaxLen > 0 {
			// Only the literal text counts toward the limit, so a text with
			// {{ expressions }} is left to the loader.
			o["anyOf"] = []any{map[string]any{"maxLength": s.MaxLen}, map[string]any{"pattern": `\{\{`}}
		}
		return o
	case extExpr, extBoolExpr:
		return map[string]any{"type": []string{"string", "number", "boolean"}}
	case extTarget:
		return pattern(PatternTarget)
	case extFlowName:
		return pattern(PatternFlowName)
	case extStepID:
		return pattern(PatternStepID)
	case extIdent:
		return pattern(PatternIdent)
	case extSetTarget:
		return pattern(PatternSetTarget)
	case extRegex:
		o := map[string]any{"type": "string"}
		if s.MinLen > 0 {
			o["minLength"] = s.MinLen
		}
		return o
	}
	return map[string]any{}
}
