package yamlfile

// Code names the kind of a diagnostic. The set is closed: editors and CI filter on these
// values, so a new code is a documented change (docs/diagnostics.md), not a loader's whim.
type Code string

// The codes of diagnostics.
const (
	CodeYAMLSyntax      Code = "yaml-syntax"      // not readable as YAML, empty, or several documents where one is wanted
	CodeUnsupported     Code = "unsupported"      // valid YAML wasla does not take: aliases, merge keys
	CodeUnknownKey      Code = "unknown-key"      // a key the format does not have
	CodeMissingKey      Code = "missing-key"      // a required key is absent
	CodeWrongType       Code = "wrong-type"       // a value of the wrong kind: a list for a text, a text for a number
	CodeBadValue        Code = "bad-value"        // a value of the right kind that is not valid: a pattern, an enum, a range
	CodeConflict        Code = "conflict"         // keys or values that exclude each other
	CodeDuplicate       Code = "duplicate"        // a key, name or id given twice
	CodeUndefinedTarget Code = "undefined-target" // a reference to a step, flow, campaign or number that does not exist
	CodeExpression      Code = "expression"       // an expression or {{ }} template that does not compile
	CodeLimit           Code = "limit"            // beyond a WhatsApp limit: a length or a count
	CodeUnreachable     Code = "unreachable"      // a part that can never run
	CodeEndlessLoop     Code = "endless-loop"     // steps that loop without ever waiting for input
	CodeIO              Code = "io"               // the file or folder cannot be read
	CodeInvalid         Code = "invalid"          // any other problem
)

// Codes returns every code, in documented order.
func Codes() []Code {
	return []Code{CodeYAMLSyntax, CodeUnsupported, CodeUnknownKey, CodeMissingKey, CodeWrongType,
		CodeBadValue, CodeConflict, CodeDuplicate, CodeUndefinedTarget, CodeExpression, CodeLimit,
		CodeUnreachable, CodeEndlessLoop, CodeIO, CodeInvalid}
}

// Valid reports whether c is one of Codes.
func (c Code) Valid() bool {
	for _, x := range Codes() {
		if c == x {
			return true
		}
	}
	return false
}
