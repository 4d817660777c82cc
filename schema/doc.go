// Package schema turns the file-format definitions of wasla's loaders into the JSON Schemas
// that editors use to complete and check wasla's YAML files, beside this file:
// flow.schema.json for flow and settings files (package flows), test.schema.json for
// conversation tests (*.test.yaml, package flowtest) and config.schema.json for the serve
// configuration (package config). Files point at them with a yaml-language-server modeline.
// The key checks of each loader come from the same definitions as its schema, and a test
// fails when a checked-in file is stale: regenerate them with `go generate ./schema`.
//
// GenerateSpec is the one writer: it writes any format described by a yamlfile.Spec, with
// the format's own value kinds (yamlfile.Ext) asked for their schemas. Formats lists the
// checked-in ones; a new format (campaign files) adds its spec to the loader and one line
// to Formats.
package schema

//go:generate go run ./gen -dir .
