package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/wasla/wasla/store"
)

const outboxAbout = `
Manages the replies the outbox gave up on (docs/delivery.md).

Commands:
  failed           list the failed replies: id, contact, number, error, when, text
  retry ID|--all   send a failed reply again, through the outbox
  drop ID          take a failed reply off the list (the history keeps it, failed)`

const intakeAbout = `
Manages the dead letters: inbound messages the server acknowledged to Meta but could not
handle (docs/delivery.md).

Commands:
  dead             list the dead letters: id, contact, message, error, when
  replay ID|--all  queue a dead letter again for the workers, once
  drop ID          delete a dead letter`

// subcommand is one command of a command group: its flags' synopsis, about text and run.
type subcommand struct {
	synopsis, about string
	run             func(ctx context.Context, ops *opsStore, fs flagValues, rest []string, s Streams) int
}

// flagValues are the flags every group's commands share.
type flagValues struct {
	json, all, fullContact bool
}

// opsStore is what the outbox and intake commands work on.
type opsStore struct {
	st     *store.Redis
	intake *store.Intake
}

func runOutbox(ctx context.Context, args []string, s Streams) int {
	return runGroup(ctx, "outbox", outboxAbout, args, s, map[string]subcommand{
		"failed": {"--redis URL [--json] [--show-contacts]", "Lists the replies the outbox gave up on, oldest failure first in each bucket.", runOutboxFailed},
		"retry":  {"--redis URL ID|--all", "Queues failed replies again. A free-form reply whose customer's 24-hour window has closed is refused: only a template can reach that customer now.", runOutboxRetry},
		"drop":   {"--redis URL ID", "Takes a failed reply off the list; its history entry stays, failed.", runOutboxDrop},
	})
}

func runIntake(ctx context.Context, args []string, s Streams) int {
	return runGroup(ctx, "intake", intakeAbout, args, s, map[string]subcommand{
		"dead":   {"--redis URL [--json] [--show-contacts]", "Lists the dead letters.", runIntakeDead},
		"replay": {"--redis URL ID|--all", "Queues dead letters again at the end of their contact's intake; the workers handle each once.", runIntakeReplay},
		"drop":   {"--redis URL ID", "Deletes a dead letter.", runIntakeDrop},
	})
}

// runGroup parses a command of a group and runs it on the deployment's store.
func runGroup(ctx context.Context, group, about string, args []string, s Streams, cmds map[string]subcommand) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(s.Err, "Usage: wasla %s COMMAND [flags]\n\n%s\n", group, about[1:])
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(s.Err, "wasla %s: unknown command %q\n\n%s\n", group, args[0], about[1:])
		return exitUsage
	}
	name := group + " " + args[0]
	fs := newFlagSet(name, cmd.synopsis, cmd.about, s)
	redisURL := fs.String("redis", deploymentRedis(), "Redis `URL` of the deployment (default $WASLA_REDIS_URL or $WASLA_REDIS)")
	prefix := fs.String("prefix", store.DefaultPrefix, "the key `prefix` of the deployment")
	var v flagValues
	fs.BoolVar(&v.json, "json", false, "write JSON, one object per line")
	fs.BoolVar(&v.all, "all", false, "act on every listed one")
	fs.BoolVar(&v.fullContact, "show-contacts", false, "show whole contact ids (phone numbers) instead of their last four digits")
	rest, code, ok := parseArgs(fs, args[1:])
	if !ok {
		return code
	}
	if *redisURL == "" {
		fmt.Fprintf(s.Err, "wasla %s: --redis is required: the outbox and the intake live in Redis\n", name)
		return exitUsage
	}
	client, err := store.Open(ctx, *redisURL)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla %s: %v\n", name, err)
		return exitFail
	}
	defer client.Close()
	opts := store.Options{Prefix: *prefix}
	st, err := store.New(client, opts)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla %s: %v\n", name, err)
		return exitUsage
	}
	return cmd.run(ctx, &opsStore{st: st, intake: store.NewIntakeOf(st, opts)}, v, rest, s)
}

func runOutboxFailed(ctx context.Context, ops *opsStore, v flagValues, rest []string, s Streams) int {
	if len(rest) > 0 {
		fmt.Fprintf(s.Err, "wasla outbox failed: unexpected argument %q\n", rest[0])
		return exitUsage
	}
	var list []store.FailedSummary
	err := ops.st.FailedMessages(ctx, func(f store.FailedMessage) error {
		list = append(list, f.Summary(v.fullContact))
		return nil
	})
	if err != nil {
		fmt.Fprintf(s.Err, "wasla outbox failed: %v\n", err)
		return exitFail
	}
	if v.json {
		return writeJSONLines(s, "outbox failed", list)
	}
	if len(list) == 0 {
		fmt.Fprintln(s.Err, "wasla outbox failed: no failed replies")
		return exitOK
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCONTACT\tNUMBER\tFAILED\tERROR\tTEXT")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", f.ID, f.Contact, f.Number, f.Failed.UTC().Format(time.DateTime), failureText(f), f.Preview)
	}
	_ = tw.Flush()
	fmt.Fprintf(s.Err, "wasla outbox failed: %s\n", plural(len(list), "failed reply"))
	return exitOK
}

// failureText is a failure as one cell: "131026 unreachable: Message undeliverable".
func failureText(f store.FailedSummary) string {
	out := f.ErrorClass
	if f.ErrorCode != 0 {
		out = fmt.Sprintf("%d %s", f.ErrorCode, out)
	}
	if f.ErrorTitle != "" {
		out += ": " + f.ErrorTitle
	}
	return out
}

func writeJSONLines[T any](s Streams, name string, list []T) int {
	enc := json.NewEncoder(s.Out)
	enc.SetEscapeHTML(false)
	for _, x := range list {
		if err := enc.Encode(x); err != nil {
			fmt.Fprintf(s.Err, "wasla %s: %v\n", name, err)
			return exitFail
		}
	}
	return exitOK
}

// targets returns the ids a retry, replay or drop acts on: the one argument, or with
// --all (when allowed) every listed one.
func targets(name string, v flagValues, rest []string, allowAll bool, list func() ([]string, error), errOut io.Writer) ([]string, int) {
	switch {
	case v.all && allowAll && len(rest) == 0:
		ids, err := list()
		if err != nil {
			fmt.Fprintf(errOut, "wasla %s: %v\n", name, err)
			return nil, exitFail
		}
		if ids == nil {
			ids = []string{} // nothing to do is still done: each says "0 of 0"
		}
		return ids, exitOK
	case len(rest) == 1 && !v.all:
		return rest, exitOK
	}
	what := "one ID"
	if allowAll {
		what = "one ID or --all"
	}
	fmt.Fprintf(errOut, "wasla %s: want %s\n", name, what)
	return nil, exitUsage
}

// each applies op to every id, printing what was done to s.Out and what was not to s.Err;
// it fails when anything was not done.
func each(name, done string, ids []string, op func(id string) error, s Streams) int {
	code, n := exitOK, 0
	for _, id := range ids {
		if err := op(id); err != nil {
			fmt.Fprintf(s.Err, "wasla %s: %s: %v\n", name, id, err)
			code = exitFail
			continue
		}
		n++
		fmt.Fprintf(s.Out, "%s %s\n", id, done)
	}
	if len(ids) != 1 {
		fmt.Fprintf(s.Err, "wasla %s: %d of %d %s\n", name, n, len(ids), done)
	}
	return code
}

func (ops *opsStore) failedIDs(ctx context.Context) ([]string, error) {
	var ids []string
	err := ops.st.FailedMessages(ctx, func(f store.FailedMessage) error {
		ids = append(ids, f.ID)
		return nil
	})
	return ids, err
}

func runOutboxRetry(ctx context.Context, ops *opsStore, v flagValues, rest []string, s Streams) int {
	ids, code := targets("outbox retry", v, rest, true, func() ([]string, error) { return ops.failedIDs(ctx) }, s.Err)
	if ids == nil {
		return code
	}
	return each("outbox retry", "queued again", ids, func(id string) error {
		_, err := ops.st.RetryFailed(ctx, id)
		return err
	}, s)
}

func runOutboxDrop(ctx context.Context, ops *opsStore, v flagValues, rest []string, s Streams) int {
	ids, code := targets("outbox drop", v, rest, false, nil, s.Err)
	if ids == nil {
		return code
	}
	return each("outbox drop", "dropped", ids, func(id string) error {
		_, err := ops.st.DropFailed(ctx, id)
		return err
	}, s)
}

func runIntakeDead(ctx context.Context, ops *opsStore, v flagValues, rest []string, s Streams) int {
	if len(rest) > 0 {
		fmt.Fprintf(s.Err, "wasla intake dead: unexpected argument %q\n", rest[0])
		return exitUsage
	}
	var list []store.DeadSummary
	err := ops.intake.ListDeadLetters(ctx, func(d store.ListedDeadLetter) error {
		list = append(list, d.Summary(v.fullContact))
		return nil
	})
	if err != nil {
		fmt.Fprintf(s.Err, "wasla intake dead: %v\n", err)
		return exitFail
	}
	if v.json {
		return writeJSONLines(s, "intake dead", list)
	}
	if len(list) == 0 {
		fmt.Fprintln(s.Err, "wasla intake dead: no dead letters")
		return exitOK
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCONTACT\tNUMBER\tAT\tATTEMPTS\tERROR\tTEXT")
	for _, d := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Contact, d.Number, d.At.UTC().Format(time.DateTime), d.Attempts, d.Error, d.Preview)
	}
	_ = tw.Flush()
	fmt.Fprintf(s.Err, "wasla intake dead: %s\n", plural(len(list), "dead letter"))
	return exitOK
}

func runIntakeReplay(ctx context.Context, ops *opsStore, v flagValues, rest []string, s Streams) int {
	ids, code := targets("intake replay", v, rest, true, func() ([]string, error) {
		var ids []string
		err := ops.intake.ListDeadLetters(ctx, func(d store.ListedDeadLetter) error {
			ids = append(ids, d.ID)
			return nil
		})
		return ids, err
	}, s.Err)
	if ids == nil {
		return code
	}
	return each("intake replay", "queued again", ids, func(id string) error {
		_, err := ops.intake.ReplayDeadLetter(ctx, id)
		return err
	}, s)
}

func runIntakeDrop(ctx context.Context, ops *opsStore, v flagValues, rest []string, s Streams) int {
	ids, code := targets("intake drop", v, rest, false, nil, s.Err)
	if ids == nil {
		return code
	}
	return each("intake drop", "dropped", ids, func(id string) error {
		_, err := ops.intake.DropDeadLetter(ctx, id)
		return err
	}, s)
}
