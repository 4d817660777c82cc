package expr

import (
	"testing"
	"time"
)

// at returns a time in the week of Sunday 2026-11-29 (UTC): day 0 is Sunday.
func at(day time.Weekday, hh, mm, ss int) time.Time {
	return time.Date(2026, 11, 29+int(day), hh, mm, ss, 0, time.UTC)
}

func TestHoursOpen(t *testing.T) {
	tests := []struct {
		name string
		spec string
		t    time.Time
		want bool
	}{
		{"opening minute is open", "sun-thu 09:00-17:00", at(time.Sunday, 9, 0, 0), true},
		{"a second before opening", "sun-thu 09:00-17:00", at(time.Sunday, 8, 59, 59), false},
		{"last second", "sun-thu 09:00-17:00", at(time.Thursday, 16, 59, 59), true},
		{"closing minute is closed", "sun-thu 09:00-17:00", at(time.Thursday, 17, 0, 0), false},
		{"day outside the range", "sun-thu 09:00-17:00", at(time.Friday, 12, 0, 0), false},
		{"second clause", "sun-thu 09:00-17:00; sat 10:00-14:00", at(time.Saturday, 13, 0, 0), true},
		{"second clause closed", "sun-thu 09:00-17:00; sat 10:00-14:00", at(time.Saturday, 14, 0, 0), false},
		{"range over the week end", "fri-mon 10-12", at(time.Sunday, 11, 0, 0), true},
		{"range over the week end, outside", "fri-mon 10-12", at(time.Wednesday, 11, 0, 0), false},
		{"range over the week end, last day", "fri-mon 10-12", at(time.Monday, 11, 59, 0), true},
		{"several ranges: lunch break", "mon 09:00-12:00,13:00-17:00", at(time.Monday, 12, 30, 0), false},
		{"several ranges: afternoon", "mon 09:00-12:00, 13:00-17:00", at(time.Monday, 13, 0, 0), true},
		{"24h start of day", "sat 24h", at(time.Saturday, 0, 0, 0), true},
		{"24h end of day", "sat 24h", at(time.Saturday, 23, 59, 59), true},
		{"24h other day", "sat 24h", at(time.Sunday, 0, 0, 0), false},
		{"until 24:00", "sun 18:00-24:00", at(time.Sunday, 23, 59, 0), true},
		{"overnight, before midnight", "fri 18:00-02:00", at(time.Friday, 23, 0, 0), true},
		{"overnight, after midnight is the next day", "fri 18:00-02:00", at(time.Saturday, 1, 59, 0), true},
		{"overnight, end", "fri 18:00-02:00", at(time.Saturday, 2, 0, 0), false},
		{"overnight saturday wraps to sunday", "sat 20:00-01:00", at(time.Sunday, 0, 30, 0), true},
		{"daily", "daily 08:00-20:00", at(time.Wednesday, 8, 0, 0), true},
		{"day list", "mon,wed,fri 9-17", at(time.Wednesday, 9, 0, 0), true},
		{"day list, missing day", "mon,wed,fri 9-17", at(time.Tuesday, 9, 0, 0), false},
		{"full english names and case", "Sunday-Thursday 9:30-17", at(time.Tuesday, 9, 30, 0), true},
		{"spaces around dashes", "sun - thu 09:00 - 17:00", at(time.Monday, 10, 0, 0), true},
		{"arabic names and digits", "الأحد-الخميس ٠٩:٠٠-١٧:٠٠؛ السبت ١٠-١٤", at(time.Saturday, 10, 0, 0), true},
		{"arabic without article", "جمعة 16:00-22:00", at(time.Friday, 16, 0, 0), true},
		{"arabic monday spelling", "الإثنين 9-10", at(time.Monday, 9, 0, 0), true},
		{"clauses on lines", "sun 9-10\nmon 9-10", at(time.Monday, 9, 0, 0), true},
		{"closed day", "sat closed; sun 9-10", at(time.Saturday, 9, 0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHours(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Open(tt.t); got != tt.want {
				t.Errorf("Open(%s) = %v, want %v", tt.t.Format("Mon 15:04:05"), got, tt.want)
			}
			if h.String() != tt.spec {
				t.Errorf("String() = %q", h.String())
			}
		})
	}
}

// Open reads the clock of t as given: the caller converts to the business's zone.
func TestHoursOpenUsesTheZoneOfT(t *testing.T) {
	h, err := ParseHours("sun 09:00-10:00")
	if err != nil {
		t.Fatal(err)
	}
	utc := at(time.Sunday, 6, 30, 0)
	if h.Open(utc) {
		t.Error("open at 06:30 UTC")
	}
	if !h.Open(utc.In(time.FixedZone("AST", 3*3600))) {
		t.Error("closed at 09:30 in UTC+3")
	}
}

func TestHoursNilIsClosed(t *testing.T) {
	var h *Hours
	if h.Open(at(time.Sunday, 12, 0, 0)) || h.String() != "" {
		t.Error("a nil *Hours must be closed and print empty")
	}
}

func TestParseHoursErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", `business hours "": no days and times given`},
		{" ; ", `business hours " ; ": no days and times given`},
		{"sun-thu", `business hours "sun-thu": "sun-thu" gives no times (write e.g. "sun-thu 09:00-17:00")`},
		{"09:00-17:00", `business hours "09:00-17:00": "09:00-17:00" names no days (write e.g. "sun-thu 09:00-17:00")`},
		{"sun-xyz 9-17", `business hours "sun-xyz 9-17": unknown day "xyz" (write sun, mon, tue, wed, thu, fri, sat or the Arabic name)`},
		{"su 9-17", `business hours "su 9-17": unknown day "su" (write sun, mon, tue, wed, thu, fri, sat or the Arabic name)`},
		{"sun 9", `business hours "sun 9": "9" is not a time range (write e.g. 09:00-17:00)`},
		{"sun 9-25", `business hours "sun 9-25": "25" is not a time of day (write e.g. 09:00)`},
		{"sun 9:60-10", `business hours "sun 9:60-10": "9:60" is not a time of day (write e.g. 09:00)`},
		{"sun 9:5-10", `business hours "sun 9:5-10": "9:5" is not a time of day (write e.g. 09:00)`},
		{"sun 24:30-10", `business hours "sun 24:30-10": "24:30" is not a time of day (write e.g. 09:00)`},
		{"sun 24:00-10", `business hours "sun 24:00-10": "24:00-10" opens at 24:00; write 00:00 on the next day`},
		{"sun +9-10", `business hours "sun +9-10": unknown day "sun+9" (write sun, mon, tue, wed, thu, fri, sat or the Arabic name)`},
		{"sun 9-10; mon", `business hours "sun 9-10; mon": "mon" gives no times (write e.g. "mon 09:00-17:00")`},
		{"sun 10-10", `business hours "sun 10-10": "10-10" opens and closes at the same time (write 24h for the whole day)`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := ParseHours(tt.spec)
			if err == nil {
				t.Fatal("parsed; want an error")
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}
