package yamlfile

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// IsNull reports whether n is an empty value (nothing, ~ or null).
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Describe names what a node is, for "found …" in messages: a mapping, a list, an alias,
// nothing, true, the number 5, a text. It never repeats a text's value, which may be long.
func Describe(n *yaml.Node) string {
	if s, ok := describeCollection(n); ok {
		return s
	}
	switch n.ShortTag() {
	case "!!bool":
		return n.Value
	case "!!int", "!!float":
		return "the number " + n.Value
	}
	return "a text"
}

// Quote names what a node is like Describe but quotes a scalar's value ("abc", "5"), for
// formats whose values are short (configuration, tests).
func Quote(n *yaml.Node) string {
	if s, ok := describeCollection(n); ok {
		return s
	}
	return fmt.Sprintf("%q", n.Value)
}

func describeCollection(n *yaml.Node) (string, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping", true
	case yaml.SequenceNode:
		return "a list", true
	case yaml.AliasNode:
		return "an alias", true
	case yaml.DocumentNode:
		return "a document", true
	}
	if IsNull(n) {
		return "nothing", true
	}
	return "", false
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// SyntaxError is one problem yaml.v3 reported while reading a file.
type SyntaxError struct {
	Line int    // the line yaml.v3 named; 0 when it named none
	Msg  string // its message, without the "yaml: line N:" prefix
}

// SyntaxErrors splits an error of yaml.v3 into its problems and the lines they name (a
// TypeError holds several). yaml.v3 gives no column.
func SyntaxErrors(err error) []SyntaxError {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	out := make([]SyntaxError, 0, len(msgs))
	for _, m := range msgs {
		se := SyntaxError{Msg: strings.TrimPrefix(m, "yaml: ")}
		if sub := yamlLineRE.FindStringSubmatch(m); sub != nil {
			if n, err := strconv.Atoi(sub[1]); err == nil && n > 0 {
				se.Line, se.Msg = n, sub[2]
			}
		}
		out = append(out, se)
	}
	return out
}
