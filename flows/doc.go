// Package flows is wasla's flow language: it reads YAML flow files with their line numbers,
// validates them, compiles every expression and text template (package flows/expr), and returns an
// immutable Set. It does no I/O beyond reading the files it is given; the engine runs what
// it produces and never sees YAML.
package flows
