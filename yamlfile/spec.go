package yamlfile

import "time"

// Kind names what kind of YAML value a Spec accepts.
type Kind int

// Spec kinds. Scalars differ in how a loader reads them and in the JSON type the schema
// gives them.
const (
	KindString   Kind = iota // a text, taken as written (numbers read as their text)
	KindInt                  // a whole number
	KindBool                 // true or false
	KindDuration             // a duration with days (ParseDuration): 30s, 15m, 2h, 7d
	KindObject               // a mapping with the keys of Fields, and no others
	KindList                 // a sequence of Elem
	KindMap                  // a mapping with free keys (Key, or named by KeyDoc) and Elem values
	KindOneOf                // one of Alts, chosen by the YAML node's kind
	KindAny                  // any YAML value
	KindExt                  // a value kind of one format, described by Ext
)

// Ext is a value kind that belongs to one format and that the toolkit leaves to it
// (KindExt): a flow's step target, expression or text with {{ }} templates; a test's time,
// location or mock answer. The format's loader reads it with its own code, telling kinds
// apart by comparing Ext values; package schema asks it for its JSON Schema. An Ext is a
// comparable value, safe to share.
type Ext interface {
	// Describe names the value in "wants …" messages: "a target (step id, flow name or
	// flow.step)".
	Describe() string
	// Schema returns the JSON Schema keywords of a value of s (whose limits, such as
	// MaxLen, it may read); sub returns the schema of a Spec inside it.
	Schema(s *Spec, sub func(*Spec) any) map[string]any
}

// Spec describes the value a key of a file accepts: its kind, what it contains, its limits
// and its documentation. A format is one Spec tree (flow files, conversation tests, the
// serve configuration; campaign files next); its loader checks keys against the tree
// (unknown keys with "did you mean", missing keys, documented names in messages) and
// package schema writes the tree as a JSON Schema, so the keys an editor completes are the
// keys the loader takes. A Spec is built once and never changed; it is safe to share.
type Spec struct {
	Kind Kind
	// Def names a shared spec: the schema puts it under definitions once and refers to it.
	Def string
	// What names the construct in messages ("the configuration", "log", "numbers[0]").
	What string
	Doc  string

	Fields []*Field // KindObject, in documented order
	Elem   *Spec    // KindList items and KindMap values; nil for a KindMap: any values
	KeyDoc string   // KindMap: what its keys are
	Key    *Spec    // KindMap: the spec of its keys (a scalar spec); nil: any text
	Alts   []*Spec  // KindOneOf
	Ext    Ext      // KindExt

	Enum    []string // the values allowed (KindString)
	Const   any      // the only value allowed (KindBool: `fallback: true`)
	Pattern string   // a regular expression the text matches (KindString), as JSON Schema writes it
	// MinLen and MaxLen bound a text, in characters (runes); MinLen 1: not empty. Formats
	// with templated texts (KindExt) say how MaxLen applies to them.
	MinLen, MaxLen int
	Min, Max       *int // KindInt: the least and the greatest value
	// MinItems and MaxItems bound the entries of a KindList, KindMap or KindObject (0: no
	// bound).
	MinItems, MaxItems int
	// AllowZero lets a KindDuration be 0 (off); otherwise it must be positive.
	AllowZero bool
	// MaxDuration bounds a KindDuration (0: no bound).
	MaxDuration time.Duration

	// ExactlyOne lists keys of a KindObject of which a mapping holds exactly one (http
	// methods, media sources); AtMostOne keys of which it holds at most one. Requires says
	// that a key needs others beside it (a media id needs its kind).
	ExactlyOne, AtMostOne []string
	Requires              map[string][]string
	// Expand marks a format whose text values may hold ${VAR} environment references,
	// replaced when the file loads: the schema then also accepts a reference wherever a
	// scalar goes. Set on the root; it holds for the whole tree.
	Expand bool
	// EmptyIsMapping marks a format whose loader reads an empty value (`log:`) as an empty
	// mapping: the schema then accepts null wherever a mapping goes. Set on the root; it
	// holds for the whole tree.
	EmptyIsMapping bool
}

// Field is one key of a mapping.
type Field struct {
	Name     string
	Spec     *Spec
	Required bool
	// Default is the value a loader uses when the key is left out, as the file would
	// write it (":8080", 16, "30s"); nil when there is none or it depends on other keys.
	Default any
	Doc     string
	// Why says what a required key holds, for the message that says it is missing:
	// "Meta's phone number id".
	Why string
	// KindKey marks the key that names the variant of a mapping (a step's `say`, a
	// trigger's `keywords`): a KindOneOf of objects with kind keys is chosen by it.
	KindKey bool
}

// Names returns the keys of an object spec, in documented order: the keys a loader
// accepts and suggests.
func (s *Spec) Names() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// Field returns the field of an object spec by name, or nil.
func (s *Spec) Field(name string) *Field {
	for _, f := range s.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Missing returns the required fields of an object spec for which has is false, in
// documented order: the keys a loader reports as missing.
func (s *Spec) Missing(has func(name string) bool) []*Field {
	var out []*Field
	for _, f := range s.Fields {
		if f.Required && !has(f.Name) {
			out = append(out, f)
		}
	}
	return out
}

// KindKey returns the name of an object spec's kind key (Field.KindKey), or "".
func (s *Spec) KindKey() string {
	for _, f := range s.Fields {
		if f.KindKey {
			return f.Name
		}
	}
	return ""
}

// IntPtr returns a pointer to n, for Spec.Min.
func IntPtr(n int) *int { return &n }
