// Package cli is the `wasla` command: one file per subcommand, each parsing its own flags
// with the standard flag package. Run is the whole program short of the process: it takes
// the arguments, the standard streams and a context, and returns the exit code, so the
// commands are tested in-process against golden transcripts under testdata/.
package cli
