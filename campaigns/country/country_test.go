package country

import (
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name, number string
		iso          string
		ok           bool
	}{
		{"saudi mobile", "966501234567", "SA", true},
		{"egypt two-digit code", "201001234567", "EG", true},
		{"us one-digit code", "12025550123", "US", true},
		{"russia", "79161234567", "RU", true},
		{"uae before 97", "971501234567", "AE", true},
		{"unknown code", "999123456789", "", false},
		{"empty", "", "", false},
		{"code alone", "966", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := Lookup(tt.number)
			if ok != tt.ok || c.ISO != tt.iso {
				t.Fatalf("Lookup(%q) = %q, %v; want %q, %v", tt.number, c.ISO, ok, tt.iso, tt.ok)
			}
		})
	}
}

func TestTableIsConsistent(t *testing.T) {
	codes := map[string]bool{}
	isos := map[string]bool{}
	for _, c := range All() {
		if codes[c.Code] || isos[c.ISO] {
			t.Errorf("%s/%s listed twice", c.Code, c.ISO)
		}
		codes[c.Code], isos[c.ISO] = true, true
		if _, err := time.LoadLocation(c.Zone); err != nil {
			t.Errorf("%s: zone %q: %v", c.ISO, c.Zone, err)
		}
		if c.MinLen < 4 || c.MinLen > c.MaxLen || len(c.Code)+c.MaxLen > 15 {
			t.Errorf("%s: lengths %d..%d do not fit E.164", c.ISO, c.MinLen, c.MaxLen)
		}
		if got, ok := ByISO(c.ISO); !ok || got.Code != c.Code {
			t.Errorf("ByISO(%q) = %v, %v", c.ISO, got, ok)
		}
	}
	for _, iso := range []string{"SA", "AE", "KW", "QA", "BH", "OM", "EG", "JO", "GB", "DE", "FR", "US", "IN", "PK"} {
		if !isos[iso] {
			t.Errorf("the table lacks %s", iso)
		}
	}
}

func TestMetaRules(t *testing.T) {
	us, _ := ByCode("1")
	sa, _ := ByCode("966")
	gb, _ := ByCode("44")
	if !us.NoMarketing || sa.NoMarketing {
		t.Errorf("NoMarketing: US %v, SA %v; want true, false", us.NoMarketing, sa.NoMarketing)
	}
	if !gb.NoUserCap || sa.NoUserCap {
		t.Errorf("NoUserCap: GB %v, SA %v; want true, false", gb.NoUserCap, sa.NoUserCap)
	}
}
