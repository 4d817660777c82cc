package expr

import "github.com/wasla/wasla/yamlfile"

// Pos is a place in a file, 1-based: where an expression starts or where its error is.
type Pos = yamlfile.Pos
