package expr

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	exprlang "github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/wasla/wasla/normalize"
)

// helper is an expression helper function: its expr implementation, its Go signature (so a
// call with arguments of the wrong type fails when flows load) and how users write it.
type helper struct {
	name  string
	fn    func(args ...any) (any, error)
	types any    // a *func(...) value: the signature expr checks calls against
	usage string // shown in "not enough arguments" messages
}

// helpers returns every helper function expressions can call. They are pure: no clock, no
// I/O, no state shared between calls, so compiled programs stay safe to share between
// goroutines. Each is registered with its signature, so normalize(1) or
// days_between(answer, now) is an error when flows load. Text arguments of unknown type
// (vars.x, HTTP results) are checked when they run: nil reads as "", numbers as they print.
//
//   - normalize(s) string: s folded for matching, as keyword triggers do (normalize.Text):
//     lower case, no Arabic diacritics or tatweel, alef/ya/ta marbuta variants unified,
//     Arabic-Indic and Persian digits as 0-9, punctuation as spaces.
//   - digits(s) string: the digits of s, Arabic-Indic and Persian ones as 0-9, everything
//     else dropped (normalize.OnlyDigits): digits("رقم ١٢٣-٤") == "1234".
//   - phone(s) string: s as E.164 digits without "+", or "" when it is not an international
//     number (see Phone).
//   - is_phone(s) bool: phone(s) != "".
//   - is_date(s) bool: s is a date parse_date accepts.
//   - parse_date(s) time: the date typed in s, at midnight UTC (see ParseDate); a run-time
//     error when s is not a date, so check with is_date first (ask's validate does).
//   - within_hours(t, spec) bool: t falls inside the opening hours spec, written like
//     settings.business_hours (see ParseHours); a quoted spec is checked when flows load.
//   - days_between(a, b) number: calendar days from a to b (see DaysBetween).
//   - format_date(t, layout) string: t written with a layout such as "DD/MM/YYYY HH:mm"
//     (see FormatDate).
func helpers() []helper {
	return []helper{
		{"normalize", stringFunc("normalize", normalize.Text), new(func(string) string), "normalize(text)"},
		{"digits", stringFunc("digits", normalize.OnlyDigits), new(func(string) string), "digits(text)"},
		{"phone", stringFunc("phone", Phone), new(func(string) string), "phone(text)"},
		{"is_phone", func(args ...any) (any, error) {
			s, err := stringArg("is_phone", args, 0)
			return Phone(s) != "", err
		}, new(func(string) bool), "is_phone(text)"},
		{"is_date", func(args ...any) (any, error) {
			s, err := stringArg("is_date", args, 0)
			_, ok := ParseDate(s)
			return ok, err
		}, new(func(string) bool), "is_date(text)"},
		{"parse_date", parseDateFunc, new(func(string) time.Time), "parse_date(text)"},
		{"within_hours", withinHoursFunc, new(func(time.Time, string) bool), `within_hours(now, "sun-thu 09:00-17:00")`},
		{"days_between", daysBetweenFunc, new(func(time.Time, time.Time) int), "days_between(from, to)"},
		{"format_date", formatDateFunc, new(func(time.Time, string) string), `format_date(now, "DD/MM/YYYY")`},
		{"urlencode", stringFunc("urlencode", url.QueryEscape), new(func(string) string), "urlencode(text)"},
	}
}

// helperOptions registers the helpers with expr, each with its signature.
func helperOptions() []exprlang.Option {
	hs := helpers()
	opts := make([]exprlang.Option, 0, len(hs))
	for _, h := range hs {
		opts = append(opts, exprlang.Function(h.name, h.fn, h.types))
	}
	return opts
}

func helperNames() []string {
	var names []string
	for _, h := range helpers() {
		names = append(names, h.name)
	}
	return names
}

// signatureHint returns " (write usage)" for a helper, or "".
func signatureHint(name string) string {
	for _, h := range helpers() {
		if h.name == name {
			return " (write " + h.usage + ")"
		}
	}
	return ""
}

// stringArg reads argument i as text. The checker has already rejected arguments of a wrong
// static type; values of unknown type (vars.x, JSON from an http step) are checked here:
// nil reads as "" and numbers as they print.
func stringArg(fn string, args []any, i int) (string, error) {
	switch v := args[i].(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case int, int64, float64:
		return FormatValue(v), nil
	default:
		return "", fmt.Errorf("%s: argument %d must be text, not %T", fn, i+1, v)
	}
}

// timeArg reads argument i as a time.
func timeArg(fn string, args []any, i int) (time.Time, error) {
	t, ok := args[i].(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("%s: argument %d must be a time (like now or parse_date(answer)), not %T", fn, i+1, args[i])
	}
	return t, nil
}

func stringFunc(name string, f func(string) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		s, err := stringArg(name, args, 0)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func parseDateFunc(args ...any) (any, error) {
	s, err := stringArg("parse_date", args, 0)
	if err != nil {
		return nil, err
	}
	t, ok := ParseDate(s)
	if !ok {
		return nil, fmt.Errorf("parse_date: %q is not a date (write e.g. 2026-12-01 or 1/12/2026); check it first with is_date", s)
	}
	return t, nil
}

func withinHoursFunc(args ...any) (any, error) {
	t, err := timeArg("within_hours", args, 0)
	if err != nil {
		return nil, err
	}
	spec, err := stringArg("within_hours", args, 1)
	if err != nil {
		return nil, err
	}
	h, err := ParseHours(spec)
	if err != nil {
		return nil, fmt.Errorf("within_hours: %w", err)
	}
	return h.Open(t), nil
}

func daysBetweenFunc(args ...any) (any, error) {
	a, err := timeArg("days_between", args, 0)
	if err != nil {
		return nil, err
	}
	b, err := timeArg("days_between", args, 1)
	if err != nil {
		return nil, err
	}
	return DaysBetween(a, b), nil
}

func formatDateFunc(args ...any) (any, error) {
	t, err := timeArg("format_date", args, 0)
	if err != nil {
		return nil, err
	}
	layout, err := stringArg("format_date", args, 1)
	if err != nil {
		return nil, err
	}
	return FormatDate(t, layout), nil
}

// checkConstantArgs reports, at load time, helper calls whose quoted argument can never
// work: a business-hours spec that does not parse or a date that is not a date. Without it
// they would fail for the first customer who reaches them.
func checkConstantArgs(prog *vm.Program, src string) *failure {
	node := prog.Node()
	c := &constArgChecker{}
	ast.Walk(&node, c)
	return c.fail
}

type constArgChecker struct{ fail *failure }

func (c *constArgChecker) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || c.fail != nil {
		return
	}
	callee, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	arg := func(i int) (string, ast.Node, bool) {
		if i >= len(call.Arguments) {
			return "", nil, false
		}
		s, ok := call.Arguments[i].(*ast.StringNode)
		if !ok {
			return "", nil, false
		}
		return s.Value, s, true
	}
	switch callee.Value {
	case "within_hours":
		if spec, n, ok := arg(1); ok {
			if _, err := ParseHours(spec); err != nil {
				c.fail = &failure{off: n.Location().From, msg: err.Error()}
			}
		}
	case "parse_date":
		if s, n, ok := arg(0); ok {
			if _, ok := ParseDate(s); !ok {
				c.fail = &failure{off: n.Location().From, msg: fmt.Sprintf("%q is not a date (write e.g. 2026-12-01 or 1/12/2026)", s)}
			}
		}
	}
}

// Phone normalises a phone number to E.164 digits without the "+": "+966 50-123 4567",
// "00966501234567" and "+٩٦٦٥٠١٢٣٤٥٦٧" all give "966501234567". It accepts a leading "+" or
// "00", spaces, dashes, dots, brackets, invisible direction marks, and Arabic-Indic or
// Persian digits. It returns "" when anything else is present, when the number has fewer
// than 8 or more than 15 digits, or when it starts with 0 after the prefix: there is no
// default country, so a local number such as 0501234567 is not a phone number here.
func Phone(s string) string {
	plus := false
	var buf [20]byte
	d := buf[:0]
	for _, r := range s {
		if dr, ok := asciiDigit(r); ok {
			if len(d) == len(buf) {
				return ""
			}
			d = append(d, dr)
			continue
		}
		switch {
		case r == '+' && !plus && len(d) == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0' || unicode.Is(unicode.Cf, r):
		default:
			return ""
		}
	}
	if !plus && len(d) > 2 && d[0] == '0' && d[1] == '0' {
		d = d[2:]
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return ""
	}
	return string(d)
}

// asciiDigit reads an ASCII, Arabic-Indic or Persian digit.
func asciiDigit(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r >= '٠' && r <= '٩':
		return byte('0' + r - '٠'), true
	case r >= '۰' && r <= '۹':
		return byte('0' + r - '۰'), true
	}
	return 0, false
}

// ParseDate reads a calendar date typed by a person: year first with dashes or slashes
// (2026-12-01, 2026/12/1) or day first with dashes, slashes or dots (1/12/2026, 01-12-2026,
// 1.12.2026), in ASCII, Arabic-Indic or Persian digits. Day-first is the order used in the
// Arab world; month-first (US) dates are not accepted. The date must exist (no 31/4). It
// returns midnight UTC of that date, so days_between and format_date see the date itself
// whatever the business's time zone.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(normalize.Digits(s))
	s = strings.ReplaceAll(s, "\u060d", "/") // Arabic date separator
	sepAt := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if sepAt < 0 {
		return time.Time{}, false
	}
	sep, _ := utf8.DecodeRuneInString(s[sepAt:])
	if sep != '-' && sep != '/' && sep != '.' {
		return time.Time{}, false
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return time.Time{}, false
	}
	var ys, ms, ds string
	switch {
	case len(parts[0]) == 4 && sep != '.':
		ys, ms, ds = parts[0], parts[1], parts[2]
	case len(parts[2]) == 4:
		ds, ms, ys = parts[0], parts[1], parts[2]
	default:
		return time.Time{}, false
	}
	y, okY := number(ys, 4, 4)
	m, okM := number(ms, 1, 2)
	d, okD := number(ds, 1, 2)
	if !okY || !okM || !okD || m < 1 || m > 12 || d < 1 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31/4 rolls over into May
		return time.Time{}, false
	}
	return t, true
}

// number reads an unsigned decimal of minLen to maxLen ASCII digits.
func number(s string, minLen, maxLen int) (int, bool) {
	if len(s) < minLen || len(s) > maxLen {
		return 0, false
	}
	n := 0
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// DaysBetween counts calendar days from a to b (negative when b is earlier), each read as
// the date it shows in its own time zone: from 23:00 on Monday to 01:00 on Tuesday is one
// day.
func DaysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int((db.Unix() - da.Unix()) / 86400)
}

// FormatDate formats t with a layout written in letters: YYYY year, YY two-digit year, MM
// month 01-12, M month 1-12, MMM Jan, MMMM January, DD day 01-31, D day 1-31, ddd Sun,
// dddd Sunday, HH hour 00-23, H hour 0-23, hh hour 01-12, h hour 1-12, mm minutes, ss
// seconds, A AM/PM. Text in [brackets] is copied as is; other characters are kept. A layout
// holding any ASCII digit is a Go layout (2006-01-02 15:04) and is passed to time.Format.
func FormatDate(t time.Time, layout string) string {
	if strings.ContainsAny(layout, "0123456789") {
		return t.Format(layout)
	}
	var b []byte
	for i := 0; i < len(layout); {
		if layout[i] == '[' {
			if j := strings.IndexByte(layout[i:], ']'); j > 0 {
				b = append(b, layout[i+1:i+j]...)
				i += j + 1
				continue
			}
		}
		tok, out := dateToken(layout[i:], t)
		if tok == 0 {
			b = append(b, layout[i])
			i++
			continue
		}
		b = append(b, out...)
		i += tok
	}
	return string(b)
}

// dateToken matches the longest layout token at the start of s and returns its length and
// its text for t, or 0.
func dateToken(s string, t time.Time) (int, string) {
	hour12 := t.Hour() % 12
	if hour12 == 0 {
		hour12 = 12
	}
	ampm := "AM"
	if t.Hour() >= 12 {
		ampm = "PM"
	}
	two := func(n int) string { return fmt.Sprintf("%02d", n) }
	tokens := []struct {
		tok string
		out func() string
	}{
		{"YYYY", func() string { return fmt.Sprintf("%04d", t.Year()) }},
		{"YY", func() string { return two(t.Year() % 100) }},
		{"MMMM", func() string { return t.Month().String() }},
		{"MMM", func() string { return t.Month().String()[:3] }},
		{"MM", func() string { return two(int(t.Month())) }},
		{"M", func() string { return strconv.Itoa(int(t.Month())) }},
		{"dddd", func() string { return t.Weekday().String() }},
		{"ddd", func() string { return t.Weekday().String()[:3] }},
		{"DD", func() string { return two(t.Day()) }},
		{"D", func() string { return strconv.Itoa(t.Day()) }},
		{"HH", func() string { return two(t.Hour()) }},
		{"H", func() string { return strconv.Itoa(t.Hour()) }},
		{"hh", func() string { return two(hour12) }},
		{"h", func() string { return strconv.Itoa(hour12) }},
		{"mm", func() string { return two(t.Minute()) }},
		{"ss", func() string { return two(t.Second()) }},
		{"A", func() string { return ampm }},
	}
	for _, tk := range tokens {
		if strings.HasPrefix(s, tk.tok) {
			return len(tk.tok), tk.out()
		}
	}
	return 0, ""
}
