// Package yamlfile is the positioned-YAML toolkit every wasla file format shares: flow
// files, conversation tests, mocks files and the serve configuration (and campaign files
// next). It holds the place of a problem in a file (Pos), diagnostics with a closed set of
// codes that editors and CI can filter on, caret snippets, the "did you mean" suggestion,
// durations with days, the describer of a YAML node used in "found …" messages, and Spec:
// one field table per format from which the loaders check keys and package schema writes
// the JSON Schemas. A format's own value kinds (a flow's expressions and step targets, a
// test's times and locations) plug into Spec as an Ext, which names them and gives their
// schema.
//
// Diagnostics print as `file:line:col: message`, the shape editors and CI annotate; the
// code is not part of that line, so golden outputs and existing annotations keep working.
// WriteJSON prints the same diagnostics as JSON lines with their code, for tools.
//
// The package imports no other wasla package: it sits at the bottom of the house so that
// every loader can use it.
package yamlfile
