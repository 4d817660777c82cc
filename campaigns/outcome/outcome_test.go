package outcome

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code, http int
		want       Fate
		quality    bool
	}{
		{131049, 0, Fatigued, false},
		{131050, 0, OptedOutByMeta, false},
		{130429, 400, Transient, false},
		{131056, 0, Transient, false},
		{0, 503, Transient, false},
		{131048, 0, Reassign, true},
		{368, 0, Reassign, true},
		{131031, 0, Reassign, true},
		{132015, 0, TemplateProblem, false},
		{131026, 0, Permanent, true},
		{131047, 0, Permanent, false},
		{100, 400, Permanent, false},
	}
	for _, tt := range tests {
		if got := Classify(tt.code, tt.http); got != tt.want {
			t.Errorf("Classify(%d, %d) = %s; want %s", tt.code, tt.http, got, tt.want)
		}
		if got := QualitySignal(tt.code); got != tt.quality {
			t.Errorf("QualitySignal(%d) = %v; want %v", tt.code, got, tt.quality)
		}
	}
}

func TestLadder(t *testing.T) {
	l := DefaultLadder()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		attempt int
		after   time.Duration
		ok      bool
	}{{1, 24 * time.Hour, true}, {2, 48 * time.Hour, true}, {3, 72 * time.Hour, true}, {4, 0, false}, {0, 0, false}}
	for _, tt := range tests {
		got, ok := l.Next(tt.attempt, at)
		if ok != tt.ok || (ok && !got.Equal(at.Add(tt.after))) {
			t.Errorf("Next(%d) = %v, %v; want +%v, %v", tt.attempt, got, ok, tt.after, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := DefaultBackoff()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var got []time.Duration
	for attempt := 1; ; attempt++ {
		next, ok := b.Next(attempt, at)
		if !ok {
			break
		}
		got = append(got, next.Sub(at))
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("back-off = %v; want %v", got, want)
	}
	if next, _ := (Backoff{Base: time.Minute, Max: 3 * time.Minute, Attempts: 9}).Next(5, at); next.Sub(at) != 3*time.Minute {
		t.Fatalf("capped back-off = %v; want 3m", next.Sub(at))
	}
}

func TestCounters(t *testing.T) {
	a := FromFields(map[string]int64{
		"sent": 10, "delivered": 9, "read": 5, "failed:131049": 2, "failed:131026": 1, "failed:x": 7, "cost": 450000, "future": 1,
	})
	b := FromFields(map[string]int64{"sent": 1, "failed:131026": 1, "unknown_resolved": 1})
	a.Add(b)
	want := Counters{Sent: 11, Delivered: 9, Read: 5, Failed: map[int]int64{131049: 2, 131026: 2}, UnknownResolved: 1, Cost: 450000}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("counters = %+v; want %+v", a, want)
	}
	if a.FailedTotal() != 4 || a.QualityFailures() != 2 || !reflect.DeepEqual(a.FailedCodes(), []int{131026, 131049}) {
		t.Fatalf("failed %d, quality %d, codes %v", a.FailedTotal(), a.QualityFailures(), a.FailedCodes())
	}
}

func TestRates(t *testing.T) {
	r := Rates{Currency: "USD", ByCategory: map[string]map[string]Micro{
		"marketing": {"SA": 45_600, "*": 60_000},
		"utility":   {"SA": 11_500},
	}}
	tests := []struct {
		category string
		billable bool
		contact  string
		want     Micro
		ok       bool
	}{
		{"marketing", true, "966501234567", 45_600, true},
		{"MARKETING", true, "201001234567", 60_000, true},
		{"utility", true, "201001234567", 0, false},
		{"service", false, "966501234567", 0, true},
		{"authentication", true, "966501234567", 0, false},
	}
	for _, tt := range tests {
		got, ok := r.Price(tt.category, tt.billable, tt.contact)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Price(%s, %v, %s) = %v, %v; want %v, %v", tt.category, tt.billable, tt.contact, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseMicro(t *testing.T) {
	tests := []struct {
		in   string
		want Micro
		text string
		err  bool
	}{
		{"0.0456", 45_600, "0.0456", false},
		{"1", 1_000_000, "1.00", false},
		{".5", 500_000, "0.50", false},
		{"12.345678", 12_345_678, "12.345678", false},
		{"0.1234567", 0, "", true},
		{"-1", 0, "", true},
		{"abc", 0, "", true},
		{"", 0, "", true},
		{"1.-5", 0, "", true},
		{"1.+5", 0, "", true},
		{"+1", 0, "", true},
	}
	for _, tt := range tests {
		got, err := ParseMicro(tt.in)
		if (err != nil) != tt.err || got != tt.want || (!tt.err && got.String() != tt.text) {
			t.Errorf("ParseMicro(%q) = %v (%s), %v; want %v (%s), error %v", tt.in, int64(got), got, err, int64(tt.want), tt.text, tt.err)
		}
	}
}

func FuzzParseMicro(f *testing.F) {
	for _, s := range []string{"0.0456", "1", ".5", "-1", "1e3", "99999999999999.999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMicro(s)
		if err != nil {
			return
		}
		if m < 0 {
			t.Fatalf("ParseMicro(%q) = %d: negative", s, m)
		}
		again, err := ParseMicro(m.String())
		if err != nil || again != m {
			t.Fatalf("ParseMicro(%q) = %d, whose String %q reads back as %d, %v", s, m, m.String(), again, err)
		}
	})
}

func TestParseRates(t *testing.T) {
	r, err := ParseRates("USD", map[string]map[string]string{"Marketing": {"SA": "0.0455", "*": "0.0625"}})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := r.Price("marketing", true, "966500000001"); !ok || p != 45_500 {
		t.Errorf("SA marketing = %v, %v; want 0.0455", p, ok)
	}
	if p, ok := r.Price("marketing", true, "971500000001"); !ok || p != 62_500 {
		t.Errorf("AE marketing = %v, %v; want the rest of the world's 0.0625", p, ok)
	}
	if _, err := ParseRates("USD", map[string]map[string]string{"utility": {"SA": "0,01"}}); err == nil || !strings.Contains(err.Error(), "rates.prices.utility.SA") {
		t.Errorf("a bad price: %v; want its category and market named", err)
	}
}
