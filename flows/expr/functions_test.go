package expr

import (
	"strings"
	"testing"
	"time"
)

func TestPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+966501234567", "966501234567"},
		{"+966 50 123 4567", "966501234567"},
		{"00966-50-123-4567", "966501234567"},
		{"(+44) 20.7946.0000", "442079460000"},
		{"+٩٦٦٥٠١٢٣٤٥٦٧", "966501234567"},
		{"۰۰۹۶۶۵۰۱۲۳۴۵۶۷", "966501234567"},
		{"\u202a+966 50 123 4567\u202c", "966501234567"}, // direction marks phones add
		{"  966501234567  ", "966501234567"},
		{"12345678", "12345678"},               // 8 digits: the shortest allowed
		{"123456789012345", "123456789012345"}, // 15 digits: the longest allowed
		{"1234567", ""},
		{"1234567890123456", ""},
		{"0501234567", ""}, // a local number: no default country
		{"+0966501234567", ""},
		{"966 50 abc 4567", ""},
		{"966+501234567", ""},
		{"", ""},
		{"+", ""},
		{"00", ""},
	}
	for _, tt := range tests {
		if got := Phone(tt.in); got != tt.want {
			t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // 2006-01-02, or "" for not a date
	}{
		{"2026-12-01", "2026-12-01"},
		{"2026/12/1", "2026-12-01"},
		{"1/12/2026", "2026-12-01"},
		{"01-12-2026", "2026-12-01"},
		{"1.12.2026", "2026-12-01"},
		{" 29/2/2028 ", "2028-02-29"},
		{"١/١٢/٢٠٢٦", "2026-12-01"},
		{"٢٠٢٦-١٢-٠١", "2026-12-01"},
		{"۱۵/۳/۲۰۲۷", "2027-03-15"},
		{"١٢؍٣؍٢٠٢٦", "2026-03-12"},
		{"29/2/2026", ""},
		{"31/4/2026", ""},
		{"0/1/2026", ""},
		{"1/13/2026", ""},
		{"2026.12.01", ""},
		{"1/12/26", ""},
		{"1-12/2026", ""},
		{"1/12/2026/1", ""},
		{"tomorrow", ""},
		{"", ""},
		{"1//2026", ""},
		{"+1/12/2026", ""},
	}
	for _, tt := range tests {
		got, ok := ParseDate(tt.in)
		switch {
		case tt.want == "" && ok:
			t.Errorf("ParseDate(%q) = %v, want not a date", tt.in, got)
		case tt.want != "" && (!ok || got.Format("2006-01-02") != tt.want || got.Location() != time.UTC || got.Hour() != 0):
			t.Errorf("ParseDate(%q) = %v, %v; want %s 00:00 UTC", tt.in, got, ok, tt.want)
		}
	}
}

func TestDaysBetween(t *testing.T) {
	riyadh := time.FixedZone("AST", 3*3600)
	tests := []struct {
		name string
		a, b time.Time
		want int
	}{
		{"same day", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), 0},
		{"late to early next day", time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC), 1},
		{"backwards", time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), -2},
		{"over a leap day", time.Date(2028, 2, 28, 0, 0, 0, 0, time.UTC), time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), 2},
		{"each in its own zone", time.Date(2026, 12, 1, 1, 0, 0, 0, riyadh), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 0},
		{"a year", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), 365},
	}
	for _, tt := range tests {
		if got := DaysBetween(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: DaysBetween = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	at := time.Date(2026, 3, 5, 14, 7, 9, 0, time.UTC) // a Thursday
	tests := []struct{ layout, want string }{
		{"DD/MM/YYYY", "05/03/2026"},
		{"D/M/YY", "5/3/26"},
		{"dddd D MMMM YYYY", "Thursday 5 March 2026"},
		{"ddd, MMM D", "Thu, Mar 5"},
		{"HH:mm:ss", "14:07:09"},
		{"h:mm A", "2:07 PM"},
		{"hh A", "02 PM"},
		{"[Date:] YYYY-MM-DD", "Date: 2026-03-05"},
		{"الموعد DD/MM", "الموعد 05/03"},
		{"2006-01-02 15:04", "2026-03-05 14:07"},
		{"", ""},
		{"[unclosed", "[unclosed"},
	}
	for _, tt := range tests {
		if got := FormatDate(at, tt.layout); got != tt.want {
			t.Errorf("FormatDate(%q) = %q, want %q", tt.layout, got, tt.want)
		}
	}
	if got := FormatDate(time.Date(2026, 3, 5, 0, 30, 0, 0, time.UTC), "h:mm A"); got != "12:30 AM" {
		t.Errorf("midnight hour = %q, want 12:30 AM", got)
	}
}

// The helpers as flows call them, with what customers type.
func TestHelpersInExpressions(t *testing.T) {
	env := testEnv() // Now: Sunday 2026-11-29 10:00 UTC
	tests := []struct {
		name   string
		src    string
		answer string
		want   any
	}{
		{"normalize", `normalize(answer)`, "  أُريدُ الطّلبَ!! ", "اريد الطلب"},
		{"digits drops other characters", `digits(answer)`, "رقم ١٢٣-٤٥", "12345"},
		{"digits of persian", `digits(answer)`, "۱۲۳", "123"},
		{"phone", `phone(answer)`, "+٩٦٦ ٥٠ ١٢٣ ٤٥٦٧", "966501234567"},
		{"phone rejects local", `phone(answer)`, "0501234567", ""},
		{"is_phone", `is_phone(answer)`, "00966501234567", true},
		{"is_phone false", `is_phone(answer)`, "hello", false},
		{"is_date", `is_date(answer)`, "١/١٢/٢٠٢٦", true},
		{"is_date false", `is_date(answer)`, "31/11/2026", false},
		{"parse_date", `parse_date(answer)`, "1/12/2026", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"days until a date", `days_between(now, parse_date(answer))`, "2026-12-01", 2},
		{"date in the past", `days_between(now, parse_date(answer)) < 0`, "28.11.2026", true},
		{"within_hours open", `within_hours(now, "sun-thu 09:00-17:00")`, "", true},
		{"within_hours closed", `within_hours(now, "fri-sat 24h")`, "", false},
		{"within_hours arabic", `within_hours(now, "الأحد-الخميس ٠٩:٠٠-١٧:٠٠")`, "", true},
		{"within_hours dynamic spec", `within_hours(now, answer)`, "sun 10:00-10:01", true},
		{"format_date", `format_date(parse_date(answer), "dddd D MMMM")`, "١/١٢/٢٠٢٦", "Tuesday 1 December"},
		{"urlencode", `urlencode(answer)`, "جدة & co", "%D8%AC%D8%AF%D8%A9+%26+co"},
		{"nil reads as empty text", `normalize(vars.missing)`, "", ""},
		{"numbers read as text", `digits(vars.qty)`, "", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := CompileExpr(tt.src, Pos{File: "f.yaml", Line: 1, Col: 1}, AnyType)
			if err != nil {
				t.Fatal(err)
			}
			env.Answer = tt.answer
			got, err := e.Eval(env)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// Values of unknown type (variables, HTTP answers) are checked when the helper runs.
func TestHelpersRunTimeErrors(t *testing.T) {
	tests := []struct{ src, answer, want string }{
		{`parse_date(answer)`, "tomorrow", `parse_date: "tomorrow" is not a date (write e.g. 2026-12-01 or 1/12/2026); check it first with is_date`},
		{`within_hours(now, answer)`, "someday", `within_hours: business hours "someday": unknown day "someday" (write sun, mon, tue, wed, thu, fri, sat or the Arabic name)`},
		{`normalize(contact.tags)`, "", "`normalize` expects text here"}, // caught at load time, see below
		{`days_between(vars.name, now)`, "", "days_between: argument 1 must be a time (like now or parse_date(answer)), not string"},
		{`phone(vars.when)`, "", "phone: argument 1 must be text, not time.Time"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			e, err := CompileExpr(tt.src, Pos{File: "f.yaml", Line: 1, Col: 1}, AnyType)
			if err != nil {
				if !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("compile error %q, want it to contain %q", err, tt.want)
				}
				return
			}
			env := testEnv()
			env.Answer = tt.answer
			_, err = e.Eval(env)
			if err == nil || !strings.HasSuffix(err.Error(), ": "+tt.want) {
				t.Errorf("error %v\nwant suffix %q", err, tt.want)
			}
		})
	}
}
