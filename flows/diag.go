package flows

import "github.com/wasla/wasla/yamlfile"

// Pos is a place in a flow file, 1-based. Diagnostics and run-time errors name it. It is
// the Pos of package yamlfile, shared by every file format.
type Pos = yamlfile.Pos

// Level says whether a diagnostic stops a flow set from loading.
type Level = yamlfile.Level

// Diagnostic levels.
const (
	LevelError   = yamlfile.LevelError   // the set does not load
	LevelWarning = yamlfile.LevelWarning // the set loads; the author probably made a mistake
)

// Diagnostic is one problem found while loading flows, at a place in a file, with its code.
type Diagnostic = yamlfile.Diagnostic

// Diagnostics are all the problems of a load, sorted by file (in load order) and position.
type Diagnostics = yamlfile.Diagnostics
