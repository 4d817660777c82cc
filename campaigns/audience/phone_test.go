package audience

import (
	"errors"
	"strings"
	"testing"
)

func TestPhonesNormalize(t *testing.T) {
	tests := []struct {
		name, def, in, want string
		err                 string // a fragment of the error, when one is expected
	}{
		{"international with plus and spaces", "", "+966 50 123 4567", "966501234567", ""},
		{"leading 00", "", "00966501234567", "966501234567", ""},
		{"arabic-indic digits", "", "+٩٦٦٥٠١٢٣٤٥٦٧", "966501234567", ""},
		{"persian digits and dashes", "", "+۹۶۶-۵۰-۱۲۳-۴۵۶۷", "966501234567", ""},
		{"direction marks", "", "\u200f+966 50 123 4567\u200f", "966501234567", ""},
		{"national with trunk 0", "SA", "0501234567", "966501234567", ""},
		{"national with brackets", "SA", "(050) 123-4567", "966501234567", ""},
		{"national arabic-indic", "SA", "٠٥٠١٢٣٤٥٦٧", "966501234567", ""},
		{"national without trunk", "SA", "501234567", "966501234567", ""},
		{"spreadsheet dropped the plus", "SA", "966501234567", "966501234567", ""},
		{"other country without plus", "SA", "971501234567", "971501234567", ""},
		{"default by calling code", "+971", "050 123 4567", "971501234567", ""},
		{"egypt national", "EG", "01001234567", "201001234567", ""},
		{"us national", "US", "(202) 555-0123", "12025550123", ""},
		{"us with trunk 1", "US", "1 202 555 0123", "12025550123", ""},
		{"italy keeps its 0", "IT", "06 1234 5678", "390612345678", ""},
		{"unknown code by length only", "", "+999 1234 5678", "99912345678", ""},
		{"empty", "SA", "  ", "", "empty"},
		{"letters", "SA", "05O1234567", "", `contains 'O'`},
		{"no digits", "SA", "n/a", "", "no digits"},
		{"plus inside", "", "966+501234567", "", `"+" may only start`},
		{"local without default", "", "0501234567", "", "starts with 0"},
		{"too short", "", "+96650", "", "too few"},
		{"too long", "", "+9665012345678901234", "", "more than"},
		{"wrong length for the country", "", "+966 50 123 45", "", "SA (+966) has 8 to 9 digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPhones(tt.def)
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Normalize(tt.in)
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrPhone) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Normalize(%q) = %q, %v; want an ErrPhone containing %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNewPhonesRejectsUnknownCountry(t *testing.T) {
	if _, err := NewPhones("XX"); err == nil || !strings.Contains(err.Error(), "ISO code") {
		t.Fatalf("NewPhones(XX) = %v; want an error naming the accepted forms", err)
	}
}

func FuzzPhonesNormalize(f *testing.F) {
	for _, s := range []string{"+966 50 123 4567", "٠٥٠١٢٣٤٥٦٧", "(050) 123-4567", "00966501234567", "966+5", "", "\u200f0"} {
		f.Add(s)
	}
	p, err := NewPhones("SA")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := p.Normalize(s)
		if err != nil {
			if !errors.Is(err, ErrPhone) || got != "" {
				t.Fatalf("Normalize(%q) = %q, %v", s, got, err)
			}
			return
		}
		if len(got) < 8 || len(got) > 15 || got[0] == '0' || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("Normalize(%q) = %q: not E.164 digits", s, got)
		}
		if again, err := p.Normalize("+" + got); err != nil || again != got {
			t.Fatalf("Normalize(+%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
