package yamlfile

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
	KindMap                  // a mapping with free keys (named by KeyDoc) and Elem values
	KindOneOf                // one of Alts, chosen by the YAML node's kind
	KindAny                  // any YAML value
)

// Spec describes the value a key of a file accepts: its kind, what it contains, its limits
// and its documentation. A format is one Spec tree (the serve configuration, and campaign
// files next); its loader checks keys against the tree (unknown keys with "did you mean",
// documented names in messages) and package schema writes the tree as a JSON Schema, so
// the keys an editor completes are the keys the loader takes. A Spec is built once and
// never changed; it is safe to share.
type Spec struct {
	Kind Kind
	// Def names a shared spec: the schema puts it under definitions once and refers to it.
	Def string
	// What names the construct in messages ("the configuration", "log", "numbers[0]").
	What string
	Doc  string

	Fields []*Field // KindObject, in documented order
	Elem   *Spec    // KindList items and KindMap values
	KeyDoc string   // KindMap: what its keys are
	Alts   []*Spec  // KindOneOf

	Enum     []string // the values allowed (KindString)
	Pattern  string   // a regular expression the text matches (KindString), as JSON Schema writes it
	MinLen   int      // KindString: at least this many characters (1: not empty)
	Min      *int     // KindInt: the least value
	MinItems int      // KindList, KindMap: at least this many entries (0: no bound)
	// AllowZero lets a KindDuration be 0 (off); otherwise it must be positive.
	AllowZero bool
	// Expand marks a format whose text values may hold ${VAR} environment references,
	// replaced when the file loads: the schema then also accepts a reference wherever a
	// scalar goes. Set on the root; it holds for the whole tree.
	Expand bool
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

// IntPtr returns a pointer to n, for Spec.Min.
func IntPtr(n int) *int { return &n }
