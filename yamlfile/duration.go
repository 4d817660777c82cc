package yamlfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDays bounds the days part of a duration so that it cannot overflow time.Duration.
const maxDays = 36500

// ParseDuration reads a duration in Go syntax with an optional leading whole number of days:
// "30s", "15m", "2h", "1d", "1d12h". Flows write timeouts and waits this way, and so do
// conversation tests (`time: +25h`, with the sign read by the caller), and so does the
// serve configuration.
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	rest := s
	var d time.Duration
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 || rest[:i] == "" || rest[0] == '+' || rest[0] == '-' {
			return 0, fmt.Errorf("invalid duration %q: want a whole number of days before d, like 1d12h", s)
		}
		if n > maxDays {
			return 0, fmt.Errorf("invalid duration %q: more than %d days", s, maxDays)
		}
		d = time.Duration(n) * 24 * time.Hour
		rest = rest[i+1:]
		if rest == "" {
			return d, nil
		}
	}
	if rest[0] == '+' || rest[0] == '-' {
		return 0, fmt.Errorf("invalid duration %q: want no sign", s)
	}
	x, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a number and a unit (ms, s, m, h, d), like 30s or 1d12h", s)
	}
	return d + x, nil
}

// FormatDuration prints a duration the way wasla files write it: 30s, 1m, 2h, 7d, 1d12h
// (not 1m0s or 168h0m0s).
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day {
		days := fmt.Sprintf("%dd", d/day)
		if rest := d % day; rest != 0 {
			return days + FormatDuration(rest)
		}
		return days
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// PatternDuration is the form of a ParseDuration text, as JSON Schema writes it: days, then
// Go duration syntax.
const PatternDuration = `^([0-9]+d)?([0-9]*\.?[0-9]+(ns|us|µs|ms|s|m|h))*$`
