package schedule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/flows/expr"
)

func mustSchedule(t *testing.T, zone, hours string, holidays ...string) *Schedule {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	s := &Schedule{Zone: loc, Holidays: map[Date]bool{}}
	if hours != "" {
		if s.Week, err = expr.ParseHours(hours); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range holidays {
		d, err := ParseDate(h)
		if err != nil {
			t.Fatal(err)
		}
		s.Holidays[d] = true
	}
	return s
}

func at(t *testing.T, zone, s string) time.Time {
	t.Helper()
	loc, _ := time.LoadLocation(zone)
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// 2026-12-03 is a Thursday; 2026-12-04 a Friday; 2026-12-06 a Sunday.
func TestAddOpen(t *testing.T) {
	const riyadh = "Asia/Riyadh"
	week := "sun-thu 09:00-17:00"
	tests := []struct {
		name     string
		hours    string
		holidays []string
		from     string
		d        time.Duration
		want     string
	}{
		{"inside the day", week, nil, "2026-12-01 10:00", 30 * time.Minute, "2026-12-01 10:30"},
		{"spills past close to next day", week, nil, "2026-12-01 16:55", 30 * time.Minute, "2026-12-02 09:25"},
		{"thursday close skips the weekend", week, nil, "2026-12-03 16:55", 30 * time.Minute, "2026-12-06 09:25"},
		{"before opening starts at opening", week, nil, "2026-12-01 07:00", 15 * time.Minute, "2026-12-01 09:15"},
		{"closed day", week, nil, "2026-12-04 12:00", time.Hour, "2026-12-06 10:00"},
		{"exactly to the close", week, nil, "2026-12-01 16:00", time.Hour, "2026-12-01 17:00"},
		{"holiday skipped", week, []string{"2026-12-02"}, "2026-12-01 16:55", 30 * time.Minute, "2026-12-03 09:25"},
		{"arabic days and split shift", "الأحد-الخميس 09:00-12:00,13:00-17:00", nil, "2026-12-01 11:50", 20 * time.Minute, "2026-12-01 13:10"},
		{"next opening with d=0", week, nil, "2026-12-03 18:00", 0, "2026-12-06 09:00"},
		{"open now with d=0", week, nil, "2026-12-03 12:00", 0, "2026-12-03 12:00"},
		{"no week: always open", "", nil, "2026-12-04 03:00", 2 * time.Hour, "2026-12-04 05:00"},
		{"no week but a holiday", "", []string{"2026-12-04"}, "2026-12-04 03:00", 2 * time.Hour, "2026-12-05 02:00"},
		{"overnight hours", "daily 20:00-02:00", nil, "2026-12-01 01:30", time.Hour, "2026-12-01 20:30"},
		{"a multi-day target", week, nil, "2026-12-01 09:00", 17 * time.Hour, "2026-12-03 10:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSchedule(t, riyadh, tt.hours, tt.holidays...)
			got, ok := s.AddOpen(at(t, riyadh, tt.from), tt.d)
			if !ok {
				t.Fatal("no open time found")
			}
			if want := at(t, riyadh, tt.want); !got.Equal(want) {
				t.Errorf("AddOpen(%s, %v) = %s, want %s", tt.from, tt.d, got.In(s.Zone).Format("2006-01-02 15:04 Mon"), tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	s := mustSchedule(t, "Asia/Riyadh", "sun-thu 09:00-17:00", "2026-12-02")
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-12-01 09:00", true},
		{"2026-12-01 16:59", true},
		{"2026-12-01 17:00", false},
		{"2026-12-01 08:59", false},
		{"2026-12-02 12:00", false}, // holiday
		{"2026-12-04 12:00", false}, // friday
	}
	for _, tt := range tests {
		if got := s.Open(at(t, "Asia/Riyadh", tt.at)); got != tt.want {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
	// The zone matters: 06:00 UTC is 09:00 in Riyadh.
	if !s.Open(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)) {
		t.Error("06:00 UTC on a Tuesday is 09:00 in Riyadh: open")
	}
	var none *Schedule
	if !none.Open(time.Now()) {
		t.Error("a queue without a schedule is always open")
	}
}

func TestNeverOpen(t *testing.T) {
	s := mustSchedule(t, "UTC", "mon 09:00-10:00")
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		s.Holidays[Date{d.Year(), d.Month(), d.Day()}] = true
	}
	if _, ok := s.NextOpen(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); ok {
		t.Error("a schedule closed for two years found an opening")
	}
	if msg := s.ClosedMessage(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !strings.Contains(msg, "as soon as we can") {
		t.Errorf("message without an opening = %q", msg)
	}
}

func TestClosedMessage(t *testing.T) {
	s := mustSchedule(t, "Asia/Riyadh", "sun-thu 09:00-17:00")
	got := s.ClosedMessage(at(t, "Asia/Riyadh", "2026-12-03 18:00"))
	for _, want := range []string{"we open Sunday 09:00", "يوم الأحد الساعة 09:00"} {
		if !strings.Contains(got, want) {
			t.Errorf("ClosedMessage = %q, want it to contain %q", got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	if d, err := ParseDate("٢٠٢٦-٠٩-٢٣"); err != nil || d != (Date{2026, 9, 23}) {
		t.Errorf("Arabic-Indic date = %v, %v", d, err)
	}
	if _, err := ParseDate("23/09/2026"); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("bad date error = %v", err)
	}
}

// TestDocsQuoteTheClosedMessage keeps the default out-of-hours text docs/flows.md quotes
// the one a hand-off says.
func TestDocsQuoteTheClosedMessage(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "flows.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := mustSchedule(t, "Asia/Riyadh", "sun-thu 09:00-17:00")
	msg := s.ClosedMessage(at(t, "Asia/Riyadh", "2026-12-03 18:00"))
	if !strings.Contains(string(doc), "\n> "+msg+"\n") {
		t.Errorf("docs/flows.md does not quote the default out-of-hours text %q", msg)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-09-23", "٢٠٢٦-٠٩-٢٣", "2026-02-30", "", "tomorrow"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "YYYY-MM-DD") {
				t.Errorf("error without the form to write: %v", err)
			}
			return
		}
		if again, err := ParseDate(d.String()); err != nil || again != d {
			t.Errorf("%q -> %v does not read back (%v, %v)", s, d, again, err)
		}
	})
}

// FuzzAddOpen checks AddOpen against counting open minutes one by one: the answer is at
// or after the start, and exactly d of open time lies between them.
func FuzzAddOpen(f *testing.F) {
	f.Add("sun-thu 09:00-17:00", int64(0), uint16(30))
	f.Add("daily 20:00-02:00", int64(3*24*60+90), uint16(600))
	f.Add("fri 16:00-23:00; sat-thu 09:00-12:00,13:00-17:00", int64(5000), uint16(2000))
	f.Fuzz(func(t *testing.T, spec string, startMin int64, dMin uint16) {
		week, err := expr.ParseHours(spec)
		if err != nil {
			return
		}
		s := &Schedule{Zone: time.UTC, Week: week}
		start := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC).Add(time.Duration(startMin%(14*24*60)) * time.Minute)
		d := time.Duration(dMin%3000) * time.Minute
		got, ok := s.AddOpen(start, d)
		if !ok {
			return // never open
		}
		if got.Before(start) {
			t.Fatalf("AddOpen(%v, %v) = %v, before the start", start, d, got)
		}
		open := time.Duration(0)
		for m := start; m.Before(got); m = m.Add(time.Minute) {
			if s.Open(m) {
				open += time.Minute
			}
		}
		if open != d {
			t.Fatalf("%q: AddOpen(%v, %v) = %v, with %v of open time between", spec, start, d, got, open)
		}
		if d == 0 && !s.Open(got) {
			t.Fatalf("%q: NextOpen(%v) = %v, which is closed", spec, start, got)
		}
	})
}

// BenchmarkAddOpen is the cost of one SLA deadline: the inbox computes one per listed
// conversation (up to 1,000 a list), here the worst usual case of a target that spills
// over a weekend.
func BenchmarkAddOpen(b *testing.B) {
	loc, _ := time.LoadLocation("Asia/Riyadh")
	week, _ := expr.ParseHours("sun-thu 09:00-12:00,13:00-17:00")
	s := &Schedule{Zone: loc, Week: week, Holidays: map[Date]bool{{2026, 12, 6}: true}}
	from := time.Date(2026, 12, 3, 16, 55, 0, 0, loc)
	for b.Loop() {
		if _, ok := s.AddOpen(from, 30*time.Minute); !ok {
			b.Fatal("never open")
		}
	}
}
