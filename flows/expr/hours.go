package expr

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wasla/wasla/normalize"
)

// Hours is a parsed weekly opening-hours spec (settings.business_hours, within_hours). It is
// immutable and safe for concurrent use.
type Hours struct {
	spec string
	days [7][]span // indexed by time.Weekday; minutes since midnight, [from, to)
}

// span is an open interval of one day, in minutes since midnight: from ≤ m < to.
type span struct{ from, to int }

// String returns the spec the hours were parsed from.
func (h *Hours) String() string {
	if h == nil {
		return ""
	}
	return h.spec
}

// Open reports whether t falls inside the hours. t must already be in the business's time
// zone: Open reads its weekday and clock as they are. Opening times are inclusive and
// closing times exclusive, to the second: "09:00-17:00" is open at 09:00:00 and at
// 16:59:59, closed at 17:00:00. A nil *Hours is never open.
func (h *Hours) Open(t time.Time) bool {
	if h == nil {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	for _, s := range h.days[t.Weekday()] {
		if s.from <= m && m < s.to {
			return true
		}
	}
	return false
}

// ParseHours parses a weekly opening-hours spec such as
//
//	sun-thu 09:00-17:00; sat 10:00-14:00
//
// Clauses are separated by ";" (or new lines). Each clause is a day part, then a time part:
//   - days: English names, three letters or in full (sun, monday), or Arabic names with or
//     without "ال" (الأحد, خميس); ranges with "-" that may wrap over the week (fri-mon);
//     lists with ","; "daily" for every day;
//   - times: ranges HH:MM-HH:MM (or H-H), several separated by ","; "24h" for the whole day;
//     a range whose end is before its start runs past midnight into the next day
//     (fri 18:00-02:00 is open early on Saturday); 24:00 is the end of the day.
//
// Days that no clause names are closed; clauses naming the same day add up. Arabic-Indic
// and Persian digits are read as ASCII digits.
func ParseHours(spec string) (*Hours, error) {
	h := &Hours{spec: spec}
	clauses := strings.FieldsFunc(normalize.Digits(spec), func(r rune) bool { return r == ';' || r == '\n' || r == '؛' })
	if len(clauses) == 0 || strings.TrimSpace(strings.Join(clauses, "")) == "" {
		return nil, fmt.Errorf("business hours %q: no days and times given", spec)
	}
	for _, clause := range clauses {
		if strings.TrimSpace(clause) == "" {
			continue
		}
		if err := h.parseClause(clause); err != nil {
			return nil, fmt.Errorf("business hours %q: %w", spec, err)
		}
	}
	return h, nil
}

func (h *Hours) parseClause(clause string) error {
	fields := strings.Fields(clause)
	// The time part starts at the first field that starts with a digit or reads 24h.
	split := len(fields)
	for i, f := range fields {
		if f[0] >= '0' && f[0] <= '9' || strings.EqualFold(f, "closed") {
			split = i
			break
		}
	}
	dayPart := strings.Join(fields[:split], "")
	timePart := strings.Join(fields[split:], "")
	if dayPart == "" {
		return fmt.Errorf("%q names no days (write e.g. \"sun-thu 09:00-17:00\")", strings.TrimSpace(clause))
	}
	days, err := parseDays(dayPart)
	if err != nil {
		return err
	}
	if timePart == "" {
		return fmt.Errorf("%q gives no times (write e.g. \"%s 09:00-17:00\")", strings.TrimSpace(clause), dayPart)
	}
	spans, err := parseTimes(timePart)
	if err != nil {
		return err
	}
	for _, d := range days {
		for _, s := range spans {
			if s.to > 24*60 { // past midnight: the rest belongs to the next day
				h.days[d] = append(h.days[d], span{s.from, 24 * 60})
				next := (d + 1) % 7
				h.days[next] = append(h.days[next], span{0, s.to - 24*60})
				continue
			}
			h.days[d] = append(h.days[d], s)
		}
	}
	return nil
}

// parseDays reads "sun-thu", "mon,wed,fri", "fri-mon", "daily", "الأحد-الخميس".
func parseDays(part string) ([]time.Weekday, error) {
	var out []time.Weekday
	for item := range strings.SplitSeq(part, ",") {
		if item == "" {
			continue
		}
		if strings.EqualFold(item, "daily") || item == "يوميا" {
			for d := time.Sunday; d <= time.Saturday; d++ {
				out = append(out, d)
			}
			continue
		}
		from, to, isRange := strings.Cut(item, "-")
		a, err := parseDay(from)
		if err != nil {
			return nil, err
		}
		if !isRange {
			out = append(out, a)
			continue
		}
		b, err := parseDay(to)
		if err != nil {
			return nil, err
		}
		for d := a; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == b {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no days", part)
	}
	return out, nil
}

var englishDays = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// arabicDays are the folded (normalize.Text) day names without the article ال.
var arabicDays = [7]string{"احد", "اثنين", "ثلاثاء", "اربعاء", "خميس", "جمعه", "سبت"}

func parseDay(name string) (time.Weekday, error) {
	lower := strings.ToLower(name)
	for d, full := range englishDays {
		if len(lower) >= 3 && strings.HasPrefix(full, lower) {
			return time.Weekday(d), nil
		}
	}
	folded := normalize.Text(name)
	folded = strings.TrimPrefix(folded, "ال")
	if folded == "اتنين" { // a common spelling of the second day
		folded = "اثنين"
	}
	for d, ar := range arabicDays {
		if folded == ar {
			return time.Weekday(d), nil
		}
	}
	return 0, fmt.Errorf("unknown day %q (write sun, mon, tue, wed, thu, fri, sat or the Arabic name)", name)
}

// parseTimes reads "09:00-17:00", "9-12,13:30-18", "24h", "closed".
func parseTimes(part string) ([]span, error) {
	if strings.EqualFold(part, "24h") {
		return []span{{0, 24 * 60}}, nil
	}
	if strings.EqualFold(part, "closed") {
		return nil, nil
	}
	var out []span
	for item := range strings.SplitSeq(part, ",") {
		if item == "" {
			continue
		}
		from, to, ok := strings.Cut(item, "-")
		if !ok {
			return nil, fmt.Errorf("%q is not a time range (write e.g. 09:00-17:00)", item)
		}
		a, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		b, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		if a == 24*60 {
			return nil, fmt.Errorf("%q opens at 24:00; write 00:00 on the next day", item)
		}
		if b == a {
			return nil, fmt.Errorf("%q opens and closes at the same time (write 24h for the whole day)", item)
		}
		if b < a {
			b += 24 * 60 // overnight
		}
		out = append(out, span{a, b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q gives no times", part)
	}
	return out, nil
}

// parseClock reads H, HH, H:MM or HH:MM; 24:00 is allowed as the end of a day.
func parseClock(s string) (int, error) {
	hs, ms, hasMin := strings.Cut(s, ":")
	bad := fmt.Errorf("%q is not a time of day (write e.g. 09:00)", s)
	if len(hs) < 1 || len(hs) > 2 || (hasMin && len(ms) != 2) {
		return 0, bad
	}
	hh, err := strconv.Atoi(hs)
	if err != nil || hs[0] == '+' || hs[0] == '-' {
		return 0, bad
	}
	mm := 0
	if hasMin {
		if mm, err = strconv.Atoi(ms); err != nil || ms[0] == '+' || ms[0] == '-' {
			return 0, bad
		}
	}
	if hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, bad
	}
	return hh*60 + mm, nil
}

// Spans returns the open intervals of weekday d in minutes since midnight, [from, to),
// sorted and merged; a schedule walks them to add up open time (package flows/schedule).
func (h *Hours) Spans(d time.Weekday) [][2]int {
	if h == nil {
		return nil
	}
	spans := slices.Clone(h.days[d])
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var out [][2]int
	for _, s := range spans {
		if n := len(out); n > 0 && s.from <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], s.to)
			continue
		}
		out = append(out, [2]int{s.from, s.to})
	}
	return out
}
