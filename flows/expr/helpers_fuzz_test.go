package expr

import (
	"strings"
	"testing"
	"time"
)

// The small parsers behind the expression helpers and the settings read what customers
// and business owners type; each must refuse nonsense without panicking, and what it
// accepts must make sense.

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"sun-thu 09:00-17:00; sat 10:00-14:00", "fri 16:00-23:00, 18:00-02:00", "الأحد-الخميس ٠٩:٠٠-١٧:٠٠", "24h", "mon", "sat-fri 00:00-24:00"} {
		f.Add(s)
	}
	start := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC) // a Sunday
	f.Fuzz(func(t *testing.T, spec string) {
		h, err := ParseHours(spec)
		if err != nil {
			if h != nil {
				t.Errorf("ParseHours(%q) gave hours and an error", spec)
			}
			return
		}
		for i := range 7 * 24 * 4 { // a week in quarter hours
			h.Open(start.Add(time.Duration(i) * 15 * time.Minute))
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-12-01", "1/12/2026", "١/١٢/٢٠٢٦", "31.12.2026", "29/2/2028", "0/0/0", "1-1-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseDate(s)
		if !ok {
			return
		}
		again, ok2 := ParseDate(d.Format("2006-01-02"))
		if !ok2 || !again.Equal(d) {
			t.Errorf("ParseDate(%q) = %v, but its own ISO form reads back as %v, %v", s, d, again, ok2)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"+966 50 123 4567", "00966501234567", "٠٥٠١٢٣٤٥٦٧", "12", "+1 (555) 010-9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Phone(s)
		if p == "" {
			return
		}
		if n := len(p); n < 8 || n > 15 || strings.Trim(p, "0123456789") != "" {
			t.Errorf("Phone(%q) = %q, want 8 to 15 ASCII digits or nothing", s, p)
		}
	})
}
