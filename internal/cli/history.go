package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/redact"
	"github.com/wasla/wasla/store"
)

const historyAbout = `
Manages the conversation history kept in Redis.

Commands:
  export    write the history of one contact or of all of them as JSONL or CSV`

const historyExportAbout = `
Writes the conversation history kept in Redis: every inbound and outbound message, agent
reply and system event (opt-out, hand-off, number change, ...), of one contact (--contact)
or of all of them, oldest first for each contact.

--format jsonl writes one event per line, as stored (times in UTC), with its history entry id ("id") and,
for a reply, its delivery state ("delivery": state queued, sent, delivered, read or
failed, the wamid, and a failure's error_code, error_class and error_title). --format csv
writes a header row and the columns time, contact, number, kind, direction, text, detail,
error_code, error_class, from, to, queue, id, state, wamid, error_title.

The export streams: it reads the history page by page and writes as it reads, so its memory
stays the same whatever the size of the history. --from and --to take an RFC 3339 time
(2026-01-05T09:00:00+03:00) or a date (2026-01-05, midnight UTC); --from is inclusive,
--to exclusive.`

// csvHeader names the columns of a CSV export.
var csvHeader = []string{"time", "contact", "number", "kind", "direction", "text", "detail", "error_code", "error_class", "from", "to", "queue",
	"id", "state", "wamid", "error_title"}

func runHistory(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(s.Err, "Usage: wasla history COMMAND [flags]\n\n%s\n", historyAbout[1:])
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] != "export" {
		fmt.Fprintf(s.Err, "wasla history: unknown command %q; the command is export\n", args[0])
		return exitUsage
	}
	return runHistoryExport(ctx, args[1:], s)
}

func runHistoryExport(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("history export", "--redis URL [flags]", historyExportAbout, s)
	redisURL := fs.String("redis", deploymentRedis(), "Redis `URL` holding the history (default $WASLA_REDIS_URL or $WASLA_REDIS)")
	prefix := fs.String("prefix", store.DefaultPrefix, "the key `prefix` of the deployment")
	contact := fs.String("contact", "", "export only this contact `id` (default: every contact)")
	from := fs.String("from", "", "export events at or after this `time`")
	to := fs.String("to", "", "export events before this `time`")
	format := fs.String("format", "jsonl", "output `format`: jsonl or csv")
	outPath := fs.String("out", "", "write to this `file` (default: standard output)")
	rest, code, ok := parseArgs(fs, args)
	if !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(s.Err, "wasla history export: "+format+"\n", a...)
		return code
	}
	if len(rest) > 0 {
		return fail(exitUsage, "unexpected argument %q", rest[0])
	}
	if *redisURL == "" {
		return fail(exitUsage, "--redis is required: the history lives in Redis")
	}
	if *format != "jsonl" && *format != "csv" {
		return fail(exitUsage, "--format %q: want jsonl or csv", *format)
	}
	fromT, err := parseTimeFlag(*from)
	if err != nil {
		return fail(exitUsage, "--from: %v", err)
	}
	toT, err := parseTimeFlag(*to)
	if err != nil {
		return fail(exitUsage, "--to: %v", err)
	}
	if !fromT.IsZero() && !toT.IsZero() && !toT.After(fromT) {
		return fail(exitUsage, "--to %s is not after --from %s", *to, *from)
	}

	client, err := store.Open(ctx, *redisURL)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	defer client.Close()
	st, err := store.New(client, store.Options{Prefix: *prefix})
	if err != nil {
		return fail(exitUsage, "%v", err)
	}

	var w io.Writer = s.Out
	var file *os.File
	if *outPath != "" {
		if file, err = os.Create(*outPath); err != nil {
			return fail(exitFail, "%v", err)
		}
		w = file
	}
	n, contacts, err := exportHistory(ctx, withDelivery{st}, w, exportOptions{
		contact: chat.ContactID(*contact), from: fromT, to: toT, format: *format,
	})
	if file != nil {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	fmt.Fprintf(s.Err, "wasla history export: %s of %s\n", plural(n, "event"), plural(contacts, "contact"))
	return exitOK
}

// parseTimeFlag reads an RFC 3339 time or a date; "" is the zero time (an open end).
func parseTimeFlag(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither a time like 2026-01-05T09:00:00+03:00 nor a date like 2026-01-05", v)
}

type exportOptions struct {
	contact  chat.ContactID // "": every contact
	from, to time.Time
	format   string // jsonl or csv
}

// historySource is what an export reads: the Redis store.
type historySource interface {
	Contacts(ctx context.Context, fn func(chat.ContactID) error) error
	History(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error
}

// withDelivery reads the history with each event's entry id and each reply's delivery
// state.
type withDelivery struct{ *store.Redis }

func (w withDelivery) History(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error {
	return w.HistoryWithDelivery(ctx, id, from, to, fn)
}

// exportHistory writes the events to w as they are read, and returns how many events it
// wrote and of how many contacts (those with at least one event in the range).
func exportHistory(ctx context.Context, src historySource, w io.Writer, o exportOptions) (events, contacts int, err error) {
	bw := bufio.NewWriterSize(w, 64*1024)
	var write func(chat.Event) error
	var cw *csv.Writer
	switch o.format {
	case "csv":
		cw = csv.NewWriter(bw)
		if err := cw.Write(csvHeader); err != nil {
			return 0, 0, err
		}
		row := make([]string, len(csvHeader))
		write = func(ev chat.Event) error {
			csvRow(row, ev)
			return cw.Write(row)
		}
	default:
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		write = func(ev chat.Event) error { return enc.Encode(ev) }
	}
	one := func(id chat.ContactID) error {
		n := 0
		err := src.History(ctx, id, o.from, o.to, func(ev chat.Event) error {
			n++
			// A history written before errors were redacted may hold a token.
			ev.Detail = redact.Text(ev.Detail)
			// The engine records in the flows' time zone, the webhook in UTC: one zone
			// keeps the file sortable and comparable, as in the CSV.
			ev.At = ev.At.UTC()
			if ev.Inbound != nil {
				ev.Inbound.At = ev.Inbound.At.UTC()
			}
			if ev.Delivery != nil {
				ev.Delivery.ErrorTitle = redact.Text(ev.Delivery.ErrorTitle)
				ev.Delivery.At = ev.Delivery.At.UTC()
			}
			return write(ev)
		})
		events += n
		if n > 0 {
			contacts++
		}
		if err != nil {
			return fmt.Errorf("exporting contact %s: %w", id, err)
		}
		return nil
	}
	if o.contact != "" {
		err = one(o.contact)
	} else {
		err = src.Contacts(ctx, one)
	}
	if cw != nil {
		cw.Flush()
		err = errors.Join(err, cw.Error())
	}
	if ferr := bw.Flush(); ferr != nil {
		err = errors.Join(err, ferr)
	}
	return events, contacts, err
}

// csvRow fills row with the CSV columns of ev.
func csvRow(row []string, ev chat.Event) {
	direction, text := "", ""
	switch {
	case ev.Inbound != nil:
		direction, text = "in", messageText(ev.Inbound.Kind, ev.Inbound.Text)
		if c := ev.Inbound.Call; c != nil && !c.FromContact() {
			direction = "out" // a call the business placed
		}
	case ev.Outbound != nil:
		direction = "out"
		text = messageText(ev.Outbound.Kind, ev.Outbound.Text)
		if t := ev.Outbound.Template; t != nil && ev.Outbound.Text == "" {
			text = "[template " + t.Name + "]"
		}
	}
	row[0] = ev.At.UTC().Format(time.RFC3339Nano)
	row[1] = string(ev.Contact)
	row[2] = string(ev.Number)
	row[3] = string(ev.Kind)
	row[4] = direction
	row[5] = text
	row[6] = ev.Detail
	row[7] = ""
	if ev.ErrorCode != 0 {
		row[7] = strconv.Itoa(ev.ErrorCode)
	}
	row[8] = ev.ErrorClass
	row[9] = string(ev.From)
	row[10] = string(ev.To)
	row[11] = ev.Queue
	row[12] = ev.ID
	row[13], row[14], row[15] = "", "", ""
	if d := ev.Delivery; d != nil {
		row[13], row[14], row[15] = string(d.State), d.Wamid, d.ErrorTitle
		if ev.ErrorCode == 0 && d.ErrorCode != 0 {
			row[7] = strconv.Itoa(d.ErrorCode)
		}
		if ev.ErrorClass == "" {
			row[8] = d.ErrorClass
		}
	}
}

// messageText is a message's text, or its kind in brackets when it has none (a photo
// without caption, a location).
func messageText(kind chat.Kind, text string) string {
	if text == "" && kind != "" && kind != chat.KindText {
		return "[" + string(kind) + "]"
	}
	return text
}
