// Package schema turns the file-format definitions of packages flows and flowtest into the
// JSON Schemas that editors use to complete and check wasla's YAML files, beside this file:
// flow.schema.json for flow and settings files, test.schema.json for conversation tests
// (*.test.yaml). Files point at them with a yaml-language-server modeline. The checks of the
// flow loader and of the test parser come from the same definitions as the schemas, and a
// test fails when a checked-in file is stale: regenerate both with `go generate ./schema`.
package schema

//go:generate go run ./gen -dir .
