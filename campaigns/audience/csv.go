package audience

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wasla/wasla/campaigns/country"
	"github.com/wasla/wasla/chat"
)

// Recipient is one accepted row of an audience file.
type Recipient struct {
	Contact chat.ContactID
	// Line is the row's line in the file (1 is the header), which also orders the
	// audience: recipients are sent in file order.
	Line int
	// Attrs holds the row's attribute values in the order of Header.Attrs; a short row
	// has empty values.
	Attrs []string
}

// Header describes the columns of an audience file.
type Header struct {
	// Phone is the name of the phone column as the file writes it.
	Phone string
	// Attrs names the other columns, in file order: the contact attributes.
	Attrs []string
}

// OptOuts says which contacts must not receive the campaign: opted out on any number, or
// through Meta's marketing stop (user_preferences). The caller supplies it; it is asked once
// per batch, so one Redis round trip covers many rows. Implementations must be safe for
// concurrent use.
type OptOuts interface {
	// OptedOut returns, for each contact, whether it opted out.
	OptedOut(ctx context.Context, contacts []chat.ContactID) ([]bool, error)
}

// Sink receives the accepted recipients in batches, in file order. Add reports, for each
// recipient, whether it was new: false means the same contact was already in the
// audience (an earlier row, or an earlier import of the same file), and the row counts as
// a duplicate. Add must be idempotent, so a re-run import adds nothing twice.
type Sink interface {
	Begin(ctx context.Context, h Header) error
	Add(ctx context.Context, batch []Recipient) ([]bool, error)
}

// Reason says why a row was left out.
type Reason int

// Reasons, in the order they are checked.
const (
	// Invalid: the row has no usable phone number (or the CSV row is malformed).
	Invalid Reason = iota
	// NoMarketing: Meta does not deliver marketing templates to the number's country (US +1).
	NoMarketing
	// OptedOut: the contact opted out.
	OptedOut
	// Duplicate: the contact appears on an earlier row.
	Duplicate
	reasons
)

// String names the reason for reports and metrics.
func (r Reason) String() string {
	switch r {
	case Invalid:
		return "invalid"
	case NoMarketing:
		return "no_marketing"
	case OptedOut:
		return "opted_out"
	case Duplicate:
		return "duplicate"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Problem is one bad row: where it is and what is wrong, without the row's content, so a
// report can be logged without exposing phone numbers.
type Problem struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Reason) }

// Report counts what an import did.
type Report struct {
	// Rows is the number of data rows read (the header excluded).
	Rows int `json:"rows"`
	// Added is the number of recipients added to the audience.
	Added int `json:"added"`
	// Skipped counts the rows left out, by Reason.
	Skipped [reasons]int `json:"-"`
	// Problems lists the first Options.MaxProblems invalid rows; Skipped[Invalid] counts
	// all of them.
	Problems []Problem `json:"problems,omitempty"`
}

// SkippedBy returns the count of rows left out for a reason.
func (r *Report) SkippedBy(reason Reason) int { return r.Skipped[reason] }

// MarshalJSON writes the report with the skipped rows by reason name:
// {"rows":..,"added":..,"skipped":{"invalid":..,"no_marketing":..,"opted_out":..,"duplicate":..},"problems":[..]}.
func (r *Report) MarshalJSON() ([]byte, error) {
	skipped := make(map[string]int, reasons)
	for reason, n := range r.Skipped {
		skipped[Reason(reason).String()] = n
	}
	type plain Report // without this method
	return json.Marshal(struct {
		*plain
		Skipped map[string]int `json:"skipped"`
	}{(*plain)(r), skipped})
}

// Options configure Import.
type Options struct {
	// PhoneColumn names the header of the phone column, compared without case and
	// surrounding spaces; "" means "phone".
	PhoneColumn string
	// Phones reads the numbers (default country).
	Phones Phones
	// Marketing leaves out numbers of countries Meta does not deliver marketing to; set it
	// for marketing templates, not for utility ones.
	Marketing bool
	// NoMarketing overrides the country table's list of calling codes Meta does not deliver
	// marketing to (nil: the table's, i.e. "1"), so a change of Meta's rule is configuration.
	NoMarketing []string
	// OptOuts may be nil: nobody has opted out.
	OptOuts OptOuts
	// BatchSize is the number of accepted rows handed to the sink at once; 0 means 1000.
	BatchSize int
	// MaxProblems is the number of bad rows the report lists; 0 means 100. All are counted.
	MaxProblems int
	// OnProblem, when set, receives every bad row.
	OnProblem func(Problem)
}

// ErrNoPhoneColumn means the header row does not name the phone column.
var ErrNoPhoneColumn = errors.New("the header row has no phone column")

// Import reads an audience CSV from r into sink, streaming: memory stays bounded by one
// batch whatever the file's size. The first row is the header; the phone column is named
// by Options.PhoneColumn and every other column is an attribute. Each data row is read
// with its line number; a row whose phone number is unusable, and a malformed CSV row, is
// reported and skipped, never fatal. Rows are then left out, and counted with their
// reason, when Meta does not deliver marketing to the country (Options.Marketing), when
// the contact opted out, or when it is a duplicate (the first occurrence wins).
//
// Import fails only on a missing header or phone column, an error reading r, or an error
// of the sink or of OptOuts; the report then counts what was done before the failure, and
// the import may be run again: the sink keeps no row twice.
func Import(ctx context.Context, r io.Reader, sink Sink, opts Options) (*Report, error) {
	imp := importer{opts: opts, sink: sink, rep: &Report{}}
	if imp.opts.BatchSize <= 0 {
		imp.opts.BatchSize = 1000
	}
	if imp.opts.MaxProblems <= 0 {
		imp.opts.MaxProblems = 100
	}
	imp.noMarketing = opts.NoMarketing
	if imp.noMarketing == nil {
		for _, c := range country.All() {
			if c.NoMarketing {
				imp.noMarketing = append(imp.noMarketing, c.Code)
			}
		}
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if err := imp.header(ctx, cr); err != nil {
		return imp.rep, err
	}
	batch := make([]Recipient, 0, imp.opts.BatchSize)
	// attrs holds the batch's attribute values in one backing array, reused batch after
	// batch, so a row costs no allocation of its own once the batch has been seen.
	attrs := make([]string, 0, imp.opts.BatchSize*len(imp.attrCols))
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return imp.rep, fmt.Errorf("reading the audience: %w", err)
			}
			imp.rep.Rows++
			imp.problem(pe.StartLine, "the row is not valid CSV: "+pe.Err.Error())
			continue
		}
		imp.rep.Rows++
		line, _ := cr.FieldPos(0)
		if len(rec) <= imp.phoneCol {
			imp.problem(line, fmt.Sprintf("the row has %d columns and no phone number (column %d)", len(rec), imp.phoneCol+1))
			continue
		}
		e164, err := imp.opts.Phones.Normalize(strings.TrimSpace(rec[imp.phoneCol]))
		if err != nil {
			imp.problem(line, err.Error())
			continue
		}
		if imp.opts.Marketing && imp.blocked(e164) {
			imp.rep.Skipped[NoMarketing]++
			continue
		}
		start := len(attrs)
		for _, c := range imp.attrCols {
			v := ""
			if c < len(rec) {
				v = strings.Clone(strings.TrimSpace(rec[c]))
			}
			attrs = append(attrs, v)
		}
		batch = append(batch, Recipient{Contact: chat.ContactID(e164), Line: line, Attrs: attrs[start:len(attrs):len(attrs)]})
		if len(batch) == imp.opts.BatchSize {
			if err := imp.flush(ctx, batch); err != nil {
				return imp.rep, err
			}
			batch, attrs = batch[:0], attrs[:0]
		}
	}
	return imp.rep, imp.flush(ctx, batch)
}

type importer struct {
	opts        Options
	sink        Sink
	rep         *Report
	phoneCol    int
	attrCols    []int
	noMarketing []string
}

// header reads the header row and finds the phone column.
func (imp *importer) header(ctx context.Context, cr *csv.Reader) error {
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the file is empty", ErrNoPhoneColumn)
	}
	if err != nil {
		return fmt.Errorf("reading the audience's header row: %w", err)
	}
	want := strings.ToLower(strings.TrimSpace(imp.opts.PhoneColumn))
	if want == "" {
		want = "phone"
	}
	h := Header{}
	imp.phoneCol = -1
	names := make([]string, len(rec))
	for i, name := range rec {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")) // Excel's byte order mark
		names[i] = name
		if imp.phoneCol < 0 && strings.ToLower(name) == want {
			imp.phoneCol = i
			h.Phone = name
			continue
		}
		imp.attrCols = append(imp.attrCols, i)
		h.Attrs = append(h.Attrs, name)
	}
	if imp.phoneCol < 0 {
		return fmt.Errorf("%w: line 1 names %s; want a column %q (set the phone column's name if it is called differently)",
			ErrNoPhoneColumn, quoteAll(names), want)
	}
	return imp.sink.Begin(ctx, h)
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// blocked reports whether Meta does not deliver marketing to e164's country.
func (imp *importer) blocked(e164 string) bool {
	return slices.ContainsFunc(imp.noMarketing, func(code string) bool { return strings.HasPrefix(e164, code) })
}

func (imp *importer) problem(line int, reason string) {
	imp.rep.Skipped[Invalid]++
	p := Problem{Line: line, Reason: reason}
	if len(imp.rep.Problems) < imp.opts.MaxProblems {
		imp.rep.Problems = append(imp.rep.Problems, p)
	}
	if imp.opts.OnProblem != nil {
		imp.opts.OnProblem(p)
	}
}

// flush leaves out the batch's opted-out contacts and hands the rest to the sink.
func (imp *importer) flush(ctx context.Context, batch []Recipient) error {
	if len(batch) == 0 {
		return nil
	}
	if imp.opts.OptOuts != nil {
		ids := make([]chat.ContactID, len(batch))
		for i, r := range batch {
			ids[i] = r.Contact
		}
		out, err := imp.opts.OptOuts.OptedOut(ctx, ids)
		if err != nil {
			return fmt.Errorf("checking opt-outs: %w", err)
		}
		if len(out) != len(batch) {
			return fmt.Errorf("checking opt-outs: %d answers for %d contacts", len(out), len(batch))
		}
		kept := batch[:0]
		for i, r := range batch {
			if out[i] {
				imp.rep.Skipped[OptedOut]++
				continue
			}
			kept = append(kept, r)
		}
		batch = kept
		if len(batch) == 0 {
			return nil
		}
	}
	added, err := imp.sink.Add(ctx, batch)
	if err != nil {
		return fmt.Errorf("adding %d recipients to the audience: %w", len(batch), err)
	}
	for _, ok := range added {
		if ok {
			imp.rep.Added++
		} else {
			imp.rep.Skipped[Duplicate]++
		}
	}
	return nil
}
