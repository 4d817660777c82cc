// Package flowtest reads and runs conversation tests: YAML files ending in .test.yaml,
// kept beside the flows they exercise (docs/testing.md is the format's reference).
//
// ParseFile reads a test file into Tests, reporting every problem — YAML syntax, unknown
// keys, bad values — as a Diagnostic positioned at file:line:col. Run plays one Test
// against a flow set on a fresh store with a manual clock, a recording sender and an HTTP
// doer that answers only from the test's mocks, and reports the first failing step with
// an expected-versus-actual rendering. Coverage gathers, over many runs, which steps of
// which flows were reached.
//
// Driver is the piece that moves a conversation through the engine — user turns, the
// burst window, the clock and its timers — and is shared with the `wasla simulate`
// command, so the simulator and the tests exercise the engine the same way.
//
// FormatDefinitions holds the yamlfile.Spec of each part of a test file: the keys it
// accepts, with what each means. The parser's unknown-key checks and "did you mean"
// suggestions read it, and package schema generates schema/test.schema.json from it
// (FormatSpec) for editors, with the same writer as every other format.
//
// Defaults, when a test does not say: the contact is DefaultContact with no name, the
// receiving number is DefaultNumber, and the clock starts at DefaultStart (a Monday).
package flowtest
