package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a problem: invalid flows, a failing test
	exitUsage = 2 // the command line is wrong
)

// Streams are a command's standard input, output and error.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

const usage = `wasla runs WhatsApp conversations written as YAML flows.

Usage:
  wasla validate PATH...                  check flow files and conversation tests; report every problem
  wasla simulate [flags] PATH...          chat with the flows in this terminal
  wasla test [-run REGEXP] [-v] PATH...   run the conversation tests (*.test.yaml) beside the flows
  wasla serve --config FILE               run the WhatsApp webhook server (see docs/config.md)
  wasla history export [flags]            write contacts' histories as JSONL or CSV, streaming
  wasla campaign start|pause|resume|cancel|status FILE-or-NAME --redis URL
                                          run campaigns in a deployment (docs/campaigns.md)
  wasla campaign plan|simulate FILE       forecast a campaign, or play it against a modelled Meta
  wasla outbox failed|retry|drop --redis URL
                                          list failed replies, send them again or drop them
  wasla intake dead|replay|drop --redis URL
                                          list dead letters, replay them or drop them
  wasla numbers [--config FILE] [--json]  every number's role, tier, warm-up, health score and state

Run "wasla COMMAND -h" for a command's flags.
`

// Run runs the wasla command line args (without the program name) and returns the exit
// code. Cancelling ctx (an interrupt) stops a running command.
func Run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	s := Streams{In: in, Out: out, Err: errOut}
	if len(args) == 0 {
		fmt.Fprint(errOut, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return runValidate(ctx, rest, s)
	case "simulate", "sim":
		return runSimulate(ctx, rest, s)
	case "test":
		return runTest(ctx, rest, s)
	case "history":
		return runHistory(ctx, rest, s)
	case "serve":
		return runServe(ctx, rest, s)
	case "campaign":
		return runCampaign(ctx, rest, s)
	case "outbox":
		return runOutbox(ctx, rest, s)
	case "intake":
		return runIntake(ctx, rest, s)
	case "numbers":
		return runNumbers(ctx, rest, s)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(out, usage)
		return exitOK
	}
	fmt.Fprintf(errOut, "wasla: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}

// newFlagSet returns a flag set for a subcommand that reports to s.Err.
func newFlagSet(name, synopsis, about string, s Streams) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.Err)
	fs.Usage = func() {
		fmt.Fprintf(s.Err, "Usage: wasla %s %s\n\n%s\n", name, synopsis, strings.TrimSpace(about))
		if hasFlags(fs) {
			fmt.Fprintln(s.Err, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseArgs parses flags wherever they stand among the arguments, so that
// `wasla simulate examples/shop --contact 9665...` works as a user expects, and returns the
// other arguments in order. It returns the exit code to use when parsing ends the command.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, 0, true
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// parsePaths is parseArgs for the commands that need at least one PATH: without one it
// prints the usage and fails with exitUsage.
func parsePaths(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	paths, code, ok := parseArgs(fs, args)
	if ok && len(paths) == 0 {
		fs.Usage()
		return nil, exitUsage, false
	}
	return paths, code, ok
}

// plural writes n and the noun, with an s when n is not one.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
