// Package schema turns the flow-file definitions of package flows into the JSON Schema that
// editors use to complete and check flow files (flow.schema.json, beside this file; flow
// files point at it with a yaml-language-server modeline). The loader's checks and the
// schema come from the same definitions, and a test fails when the checked-in file is stale:
// regenerate it with `go generate ./schema`.
package schema

//go:generate go run ./gen -o flow.schema.json
