package yamlfile

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Pos is a place in a file, 1-based. Line 0 means the whole file (it could not be read);
// Col 0 means the whole line.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the place as `file:line:col`, leaving out what is zero.
func (p Pos) String() string {
	switch {
	case p.Line <= 0:
		return p.File
	case p.Col <= 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// Level says whether a diagnostic stops a file from loading.
type Level int

// Diagnostic levels.
const (
	LevelError   Level = iota // the file does not load
	LevelWarning              // the file loads; the author probably made a mistake
)

// String returns "error" or "warning", the level's name in JSON output.
func (l Level) String() string {
	if l == LevelWarning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found while loading a file, at a place in it.
type Diagnostic struct {
	Pos     Pos
	Level   Level
	Code    Code // what kind of problem; CodeInvalid when the loader gave none
	Message string
	// Snippet is the source line with a caret under the column (several lines for
	// expression errors); empty when the place has no source line.
	Snippet string
}

// String formats the diagnostic as editors and CI annotations expect:
// `file:line:col: message`, with `warning: ` before the message of a warning. Neither the
// code nor the snippet is included.
func (d Diagnostic) String() string {
	msg := d.Message
	if d.Level == LevelWarning {
		msg = "warning: " + msg
	}
	return d.Pos.String() + ": " + msg
}

// Diagnostics are all the problems of a load.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error (not a warning).
func (d Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(d, func(x Diagnostic) bool { return x.Level == LevelError })
}

// Count returns the number of errors and of warnings.
func (d Diagnostics) Count() (errs, warnings int) {
	for _, x := range d {
		if x.Level == LevelError {
			errs++
		} else {
			warnings++
		}
	}
	return errs, warnings
}

// Error returns every diagnostic on its own line, without snippets, so that Diagnostics can
// be returned as an error.
func (d Diagnostics) Error() string {
	lines := make([]string, len(d))
	for i, x := range d {
		lines[i] = x.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns the diagnostics as an error when they hold an error, or nil.
func (d Diagnostics) Err() error {
	if d.HasErrors() {
		return d
	}
	return nil
}

// Print writes every diagnostic, each followed by its snippet indented by four spaces.
func (d Diagnostics) Print(w io.Writer) error {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.String())
		b.WriteByte('\n')
		if x.Snippet != "" {
			for _, line := range strings.Split(strings.TrimRight(x.Snippet, "\n"), "\n") {
				b.WriteString("    ")
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonDiagnostic is the documented JSON form of a diagnostic (docs/diagnostics.md).
type jsonDiagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Level   string `json:"level"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// WriteJSON writes one JSON object per diagnostic and line (JSON lines): file, line, col,
// level, code and message. Tools filter on code; the message is the one String prints.
func (d Diagnostics) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, x := range d {
		code := x.Code
		if code == "" {
			code = CodeInvalid
		}
		err := enc.Encode(jsonDiagnostic{File: x.Pos.File, Line: x.Pos.Line, Col: x.Pos.Col,
			Level: x.Level.String(), Code: code, Message: x.Message})
		if err != nil {
			return fmt.Errorf("writing diagnostics: %w", err)
		}
	}
	return nil
}

// Sort orders diagnostics by file, line and column, keeping the order of those at the same
// place. Files listed in fileOrder come in that order (load order); others by name.
func (d Diagnostics) Sort(fileOrder map[string]int) {
	slices.SortStableFunc(d, func(a, b Diagnostic) int {
		if a.Pos.File != b.Pos.File {
			oa, okA := fileOrder[a.Pos.File]
			ob, okB := fileOrder[b.Pos.File]
			if okA && okB {
				return cmp.Compare(oa, ob)
			}
			return strings.Compare(a.Pos.File, b.Pos.File)
		}
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
}
