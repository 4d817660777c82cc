package numbers

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownNumber is returned for a phone number id that is not in the registry.
var ErrUnknownNumber = errors.New("number not in the registry")

// Problem is one mistake (or, from Warnings, one risk) in the number list. Index is the
// number's position in the list given to New, so that a config loader can point at its
// line; Field is the field at fault ("id", "role", ...).
type Problem struct {
	Index   int
	Field   string
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("numbers[%d].%s: %s", p.Index, p.Field, p.Message)
}

// ConfigError lists every problem New found, in list order.
type ConfigError struct {
	Problems []Problem
}

func (e *ConfigError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return "invalid number list: " + strings.Join(lines, "; ")
}
