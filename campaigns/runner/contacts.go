package runner

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/yamlfile"
)

// StoredContact is what an audience expression sees of a contact in the contact store.
type StoredContact struct {
	ID       chat.ContactID
	Name     string
	Language string
	Tags     []string
	Attrs    map[string]string
	OptedOut bool
	// LastSeen is when the contact last wrote to any business number (zero: never).
	LastSeen time.Time
}

// StoredContacts walks the deployment's stored contacts a batch at a time, so memory holds
// one batch however many contacts there are. The contact store implements it (compose);
// the campaigns packages do not read the store themselves.
type StoredContacts interface {
	Scan(ctx context.Context, batch int, fn func([]StoredContact) error) error
}

// ContactsReport says what the audience expression chose.
type ContactsReport struct {
	// Scanned contacts were evaluated, Matched chose the campaign (and went to the import,
	// which may still leave them out: opted out, no marketing, a duplicate of the CSV).
	Scanned int `json:"scanned"`
	Matched int `json:"matched"`
	// Failed evaluations (over the budget, a bad value) count as not matching; Errors
	// lists the first few.
	Failed int      `json:"failed"`
	Errors []string `json:"errors,omitempty"`
}

// StartOptions are what Start needs besides the file: opt-outs for the import, and the
// contact store and the expression budget for an audience chosen by expression.
type StartOptions struct {
	OptOuts  audience.OptOuts
	Contacts StoredContacts
	Budget   *expr.Budget
}

// StartResult is the outcome of starting a campaign: the import of its CSV and of its
// stored contacts, in one report, and what the expression chose.
type StartResult struct {
	*audience.Report
	Contacts *ContactsReport `json:"contacts,omitempty"`
}

// MarshalJSON writes the import report with the expression's report under "contacts".
func (r *StartResult) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(r.Report)
	if err != nil || r.Contacts == nil {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["contacts"] = r.Contacts
	return json.Marshal(m)
}

// attrRef finds the attributes a template names, so that an audience chosen by
// expression carries them: contact.attrs.city, contact.attrs["city"].
var attrRef = regexp.MustCompile(`contact\.attrs(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])`)

// contactColumns returns the attribute columns of an audience chosen by expression: name,
// language, the zone attribute and every attribute the template's language and
// parameters name.
func contactColumns(camp *campaignfile.Campaign) []string {
	cols := []string{"name", "language", camp.ZoneAttr}
	var srcs []string
	if camp.Template.Language != nil {
		srcs = append(srcs, camp.Template.Language.Source)
	}
	for _, p := range camp.Template.Params {
		srcs = append(srcs, p.Source)
	}
	for _, s := range srcs {
		for _, m := range attrRef.FindAllStringSubmatch(s, -1) {
			name := m[1] + m[2]
			if !slices.Contains(cols, name) {
				cols = append(cols, name)
			}
		}
	}
	return slices.DeleteFunc(cols, func(s string) bool { return s == "" })
}

// importContacts evaluates the campaign's audience expression over every stored contact
// and imports the matches through audience.Import (same phone checks, duplicates,
// opt-outs and no-marketing exclusions, same reason counts), streaming: a pipe carries
// the matches as CSV rows, so memory holds one batch. cols are the audience's attribute
// columns (a CSV's, when the campaign has one too).
func importContacts(ctx context.Context, aud *audience.Redis, camp *campaignfile.Campaign, contacts StoredContacts, cols []string, opts audience.Options, budget *expr.Budget, now time.Time) (*audience.Report, *ContactsReport, error) {
	rep := &ContactsReport{}
	// The store's own opt-out flag joins the caller's OptOuts: a contact who opted out is
	// left out and counted opted_out even where no OptOuts is given (the command line).
	opted := &optedSet{next: opts.OptOuts, ids: map[chat.ContactID]bool{}}
	opts.OptOuts = opted
	pr, pw := io.Pipe()
	go func() {
		w := csv.NewWriter(pw)
		_ = w.Write(append([]string{opts.PhoneColumn}, cols...))
		row := make([]string, 1+len(cols))
		err := contacts.Scan(ctx, 500, func(batch []StoredContact) error {
			for _, c := range batch {
				rep.Scanned++
				env := &expr.Env{Now: now, Budget: budget,
					Contact: expr.ContactEnv{ID: string(c.ID), Name: c.Name, Language: c.Language, Tags: c.Tags, Attrs: c.Attrs, OptedOut: c.OptedOut},
					Session: expr.SessionEnv{LastInbound: c.LastSeen}}
				ok, err := camp.Audience.Contacts.EvalBool(env)
				if err != nil {
					rep.Failed++
					if len(rep.Errors) < 10 {
						rep.Errors = append(rep.Errors, fmt.Sprintf("contact %s: %v", c.ID, err))
					}
					continue
				}
				if !ok {
					continue
				}
				rep.Matched++
				if c.OptedOut {
					opted.add(c.ID)
				}
				row[0] = "+" + string(c.ID)
				for i, col := range cols {
					v, found := c.Attrs[col]
					switch {
					case found:
					case col == "name":
						v = c.Name
					case col == "language":
						v = c.Language
					}
					row[1+i] = v
				}
				if err := w.Write(row); err != nil {
					return err
				}
			}
			w.Flush()
			return w.Error()
		})
		w.Flush()
		pw.CloseWithError(errors.Join(err, w.Error()))
	}()
	ar, err := audience.Import(ctx, pr, aud, opts)
	_ = pr.CloseWithError(io.ErrClosedPipe) // stops the scan if the import gave up early
	return ar, rep, err
}

// optedSet answers the import's opt-out question from the stored contacts' own flag (each
// id is asked once, after the scan wrote its row, and forgotten then, so the set stays
// small), and from next, when given.
type optedSet struct {
	next audience.OptOuts
	mu   sync.Mutex
	ids  map[chat.ContactID]bool
}

func (o *optedSet) add(id chat.ContactID) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ids[id] = true
}

// OptedOut implements audience.OptOuts.
func (o *optedSet) OptedOut(ctx context.Context, ids []chat.ContactID) ([]bool, error) {
	out := make([]bool, len(ids))
	if o.next != nil {
		var err error
		if out, err = o.next.OptedOut(ctx, ids); err != nil {
			return nil, err
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, id := range ids {
		if o.ids[id] {
			out[i] = true
			delete(o.ids, id)
		}
	}
	return out, nil
}

// StartWith loads the campaign file at path, imports its audience — its CSV, the stored
// contacts its expression chooses, or both (one ledger: a contact in both is added once)
// — and records it running once the whole audience is in. diags holds the file's
// problems, if any.
func StartWith(ctx context.Context, c *Control, path string, o StartOptions, now time.Time) (*StartResult, yamlfile.Diagnostics, error) {
	source, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the campaign file: %w", err)
	}
	camp, diags := campaignfile.Parse(path, source)
	if diags.HasErrors() {
		return nil, diags, nil
	}
	aud, err := c.Audience(camp.Name)
	if err != nil {
		return nil, nil, err
	}
	opts, err := importOptions(camp, o.OptOuts)
	if err != nil {
		return nil, nil, err
	}
	res := &StartResult{Report: &audience.Report{}}
	if camp.Audience.CSV != "" {
		f, err := os.Open(camp.Audience.CSV)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the audience: %w", err)
		}
		rep, err := audience.Import(ctx, f, aud, opts)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("importing the audience of campaign %s: %w", camp.Name, err)
		}
		res.Report = rep
	}
	if camp.Audience.Contacts != nil {
		if o.Contacts == nil {
			return nil, nil, fmt.Errorf("campaign %s chooses stored contacts, but no contact store was given", camp.Name)
		}
		cols := contactColumns(camp)
		if camp.Audience.CSV != "" {
			if cols, err = aud.Columns(ctx); err != nil {
				return nil, nil, err
			}
		}
		rep, crep, err := importContacts(ctx, aud, camp, o.Contacts, cols, opts, o.Budget, now)
		if err != nil {
			return nil, nil, fmt.Errorf("importing the stored contacts of campaign %s: %w", camp.Name, err)
		}
		res.Contacts = crep
		merge(res.Report, rep)
	}
	return res, nil, c.Save(ctx, camp, source, now)
}

// merge adds b's counts to a.
func merge(a, b *audience.Report) {
	a.Rows += b.Rows
	a.Added += b.Added
	for i := range a.Skipped {
		a.Skipped[i] += b.Skipped[i]
	}
	a.Problems = append(a.Problems, b.Problems...)
}
