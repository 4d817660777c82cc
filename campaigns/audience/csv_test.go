package audience

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/wasla/wasla/chat"
)

// memSink is an in-memory Sink with the same first-row-wins rule as Redis.
type memSink struct {
	header Header
	order  []Recipient
	seen   map[chat.ContactID]bool
	err    error
}

func (m *memSink) Begin(_ context.Context, h Header) error { m.header = h; return nil }

func (m *memSink) Add(_ context.Context, batch []Recipient) ([]bool, error) {
	if m.err != nil {
		return nil, m.err
	}
	if m.seen == nil {
		m.seen = map[chat.ContactID]bool{}
	}
	out := make([]bool, len(batch))
	for i, r := range batch {
		if m.seen[r.Contact] {
			continue
		}
		m.seen[r.Contact] = true
		r.Attrs = append([]string(nil), r.Attrs...)
		m.order = append(m.order, r)
		out[i] = true
	}
	return out, nil
}

type optOuts map[chat.ContactID]bool

func (o optOuts) OptedOut(_ context.Context, ids []chat.ContactID) ([]bool, error) {
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = o[id]
	}
	return out, nil
}

func TestImportSmallFile(t *testing.T) {
	f, err := os.Open("testdata/small.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	phones, _ := NewPhones("SA")
	sink := &memSink{}
	var seen []Problem
	rep, err := Import(context.Background(), f, sink, Options{
		PhoneColumn: "mobile", Phones: phones, Marketing: true, BatchSize: 2,
		OptOuts:   optOuts{"966541234567": true},
		OnProblem: func(p Problem) { seen = append(seen, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Header{Phone: "Mobile", Attrs: []string{"Name", "City"}}); !reflect.DeepEqual(sink.header, want) {
		t.Errorf("header = %+v; want %+v", sink.header, want)
	}
	var got []string
	for _, r := range sink.order {
		got = append(got, string(r.Contact)+"@"+strconv.Itoa(r.Line)+":"+strings.Join(r.Attrs, "/"))
	}
	want := []string{
		"966501234567@2:Ahmed/Riyadh",
		"966551234567@3:Sara/Jeddah",
		"966561234567@6:Omar/مكة",
		"966591234567@10:Lazy \"quote/Abha",
		"971501234567@11:Mona/",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("recipients:\n got %q\nwant %q", got, want)
	}
	if rep.Rows != 10 || rep.Added != 5 || rep.SkippedBy(Invalid) != 2 || rep.SkippedBy(Duplicate) != 1 ||
		rep.SkippedBy(OptedOut) != 1 || rep.SkippedBy(NoMarketing) != 1 {
		t.Errorf("report = %+v", rep)
	}
	wantProblems := []Problem{
		{4, `not a usable phone number: it contains 'O', which is not a digit`},
		{9, "the row has 1 columns and no phone number (column 2)"},
	}
	if !reflect.DeepEqual(rep.Problems, wantProblems) || !reflect.DeepEqual(seen, wantProblems) {
		t.Errorf("problems = %q, seen %q; want %q", rep.Problems, seen, wantProblems)
	}
}

func TestImportFailures(t *testing.T) {
	phones, _ := NewPhones("SA")
	tests := []struct {
		name, csv string
		opts      Options
		sinkErr   error
		want      string
		is        error
	}{
		{"empty file", "", Options{}, nil, "the file is empty", ErrNoPhoneColumn},
		{"no phone column", "name,mobile\nA,0501234567\n", Options{}, nil, `line 1 names "name", "mobile"; want a column "phone"`, ErrNoPhoneColumn},
		{"sink fails", "phone\n0501234567\n", Options{Phones: phones}, errors.New("redis down"), "adding 1 recipients to the audience: redis down", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Import(context.Background(), strings.NewReader(tt.csv), &memSink{err: tt.sinkErr}, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Import = %v; want an error containing %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("Import = %v; want it to wrap %v", err, tt.is)
			}
		})
	}
}

func TestImportLimitsProblemsButCountsAll(t *testing.T) {
	var b strings.Builder
	b.WriteString("phone\n")
	for range 250 {
		b.WriteString("nope\n")
	}
	rep, err := Import(context.Background(), strings.NewReader(b.String()), &memSink{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SkippedBy(Invalid) != 250 || len(rep.Problems) != 100 || rep.Problems[99].Line != 101 {
		t.Fatalf("invalid %d, problems %d, last %v; want 250, 100, line 101", rep.SkippedBy(Invalid), len(rep.Problems), rep.Problems[len(rep.Problems)-1])
	}
}

func TestImportUtilityKeepsUSNumbers(t *testing.T) {
	sink := &memSink{}
	rep, err := Import(context.Background(), strings.NewReader("phone\n+1 202 555 0123\n"), sink, Options{Marketing: false})
	if err != nil || rep.Added != 1 {
		t.Fatalf("Import = %+v, %v; want the US number added for a utility template", rep, err)
	}
	rep, err = Import(context.Background(), strings.NewReader("phone\n+1 202 555 0123\n+44 7700 900123\n"), &memSink{},
		Options{Marketing: true, NoMarketing: []string{"44"}})
	if err != nil || rep.Added != 1 || rep.SkippedBy(NoMarketing) != 1 {
		t.Fatalf("Import = %+v, %v; want the configured list to replace the table's", rep, err)
	}
}

func FuzzImport(f *testing.F) {
	seed, err := os.ReadFile("testdata/small.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(seed))
	f.Add("phone\n\"unterminated\n")
	f.Add("phone,a,a\n1,2\n,,,\n")
	phones, _ := NewPhones("SA")
	f.Fuzz(func(t *testing.T, in string) {
		sink := &memSink{}
		rep, err := Import(context.Background(), strings.NewReader(in), sink, Options{Phones: phones, BatchSize: 3})
		if err != nil {
			if !errors.Is(err, ErrNoPhoneColumn) {
				t.Fatalf("Import failed on a reader that cannot fail: %v", err)
			}
			return
		}
		skipped := 0
		for _, n := range rep.Skipped {
			skipped += n
		}
		if rep.Added+skipped != rep.Rows || rep.Added != len(sink.order) {
			t.Fatalf("rows %d = added %d + skipped %d? sink holds %d", rep.Rows, rep.Added, skipped, len(sink.order))
		}
		for i := 1; i < len(sink.order); i++ {
			if sink.order[i].Line <= sink.order[i-1].Line {
				t.Fatalf("lines out of order: %d after %d", sink.order[i].Line, sink.order[i-1].Line)
			}
		}
	})
}

func TestReportJSON(t *testing.T) {
	rep := &Report{Rows: 5, Added: 2, Problems: []Problem{{Line: 3, Reason: "bad"}}}
	rep.Skipped[Invalid], rep.Skipped[Duplicate], rep.Skipped[NoMarketing] = 1, 1, 1
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rows":5,"added":2,"problems":[{"line":3,"reason":"bad"}],"skipped":{"duplicate":1,"invalid":1,"no_marketing":1,"opted_out":0}}`
	if string(b) != want {
		t.Fatalf("JSON:\n got %s\nwant %s", b, want)
	}
}
