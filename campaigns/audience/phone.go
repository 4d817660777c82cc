package audience

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wasla/wasla/campaigns/country"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
)

// ErrPhone is wrapped by every error of Phones.Normalize: the text is not a phone number
// the campaign can send to.
var ErrPhone = errors.New("not a usable phone number")

// Phones reads phone numbers as people and spreadsheets write them and turns them into
// E.164 digits without the "+" (the wa_id form): "+966 50 123 4567", "00966501234567",
// "(050) 123-4567" with a Saudi default, "٠٥٠١٢٣٤٥٦٧" and "966501234567" (a spreadsheet
// that dropped the "+") all give "966501234567".
//
// A number with a leading "+" or "00" is international. Otherwise, with a default
// country, a number whose length fits that country's national numbers, after dropping its
// trunk prefix ("0"), is national; anything else is read as international without its
// "+". Digits may be ASCII, Arabic-Indic or Persian; spaces, dashes, dots, brackets and
// invisible direction marks are ignored (the flows package's Phone does the final reading).
// Where the calling code is in the country table, the national part must have a length
// that country uses. The zero value has no default country. Phones is safe for concurrent
// use.
type Phones struct {
	def    country.Country
	hasDef bool
}

// NewPhones returns a reader whose default country is given by its ISO code ("SA") or its
// calling code ("966" or "+966"); "" means none: every number must then be international.
func NewPhones(defaultCountry string) (Phones, error) {
	d := strings.TrimSpace(defaultCountry)
	if d == "" {
		return Phones{}, nil
	}
	c, ok := country.ByISO(strings.ToUpper(d))
	if !ok {
		c, ok = country.ByCode(strings.TrimPrefix(d, "+"))
	}
	if !ok {
		return Phones{}, fmt.Errorf("default country %q is not in the country table: write its ISO code (SA, AE, EG, ...) or its calling code (966, 971, 20, ...)", defaultCountry)
	}
	return Phones{def: c, hasDef: true}, nil
}

// Normalize returns s as E.164 digits without the "+", or an error wrapping ErrPhone whose
// text says what is wrong in words an operator understands.
func (p Phones) Normalize(s string) (string, error) {
	digits := normalize.OnlyDigits(s)
	if digits == "" {
		if strings.TrimFunc(s, isSeparator) == "" {
			return "", fmt.Errorf("%w: the phone number is empty", ErrPhone)
		}
		return "", fmt.Errorf("%w: it has no digits", ErrPhone)
	}
	first := strings.TrimLeftFunc(s, isSeparator)
	intl := strings.HasPrefix(first, "+") || strings.HasPrefix(digits, "00")
	candidate := "+" + s
	if intl {
		candidate = s
	} else if p.hasDef {
		d := p.def
		switch n := len(digits); {
		case d.Trunk != "" && strings.HasPrefix(digits, d.Trunk) && fits(d, n-len(d.Trunk)):
			candidate = "+" + d.Code + " " + dropDigits(s, len(d.Trunk))
		case fits(d, n) && !strings.HasPrefix(digits, "0"):
			candidate = "+" + d.Code + " " + s
		case strings.HasPrefix(digits, "0") && d.Trunk == "" && fits(d, n):
			candidate = "+" + d.Code + " " + s // Italy: the 0 belongs to the number
		}
	}
	e164 := expr.Phone(candidate)
	if e164 == "" {
		return "", explain(candidate)
	}
	if c, ok := country.Lookup(e164); ok && !fits(c, len(e164)-len(c.Code)) {
		return "", fmt.Errorf("%w: a number in %s (+%s) has %s digits after the country code, not %d",
			ErrPhone, c.ISO, c.Code, lengths(c), len(e164)-len(c.Code))
	}
	return e164, nil
}

// fits reports whether a national significant number of n digits is a length c uses.
func fits(c country.Country, n int) bool { return c.MinLen <= n && n <= c.MaxLen }

func lengths(c country.Country) string {
	if c.MinLen == c.MaxLen {
		return fmt.Sprint(c.MinLen)
	}
	return fmt.Sprintf("%d to %d", c.MinLen, c.MaxLen)
}

// explain says why flows.Phone refused candidate.
func explain(candidate string) error {
	plus := false
	for i, r := range candidate {
		switch {
		case r == '+' && i == 0:
			plus = true
		case r == '+':
			return fmt.Errorf("%w: a \"+\" may only start the number", ErrPhone)
		case isSeparator(r), isDigit(r):
		default:
			return fmt.Errorf("%w: it contains %q, which is not a digit", ErrPhone, r)
		}
	}
	digits := normalize.OnlyDigits(candidate)
	if !plus || strings.HasPrefix(digits, "00") {
		digits = strings.TrimPrefix(digits, "00")
	}
	switch {
	case len(digits) < 8:
		return fmt.Errorf("%w: %d digits are too few for an international number (give the country code, or set a default country)", ErrPhone, len(digits))
	case len(digits) > 15:
		return fmt.Errorf("%w: %d digits are more than an international number has (15 at most)", ErrPhone, len(digits))
	case strings.HasPrefix(digits, "0"):
		return fmt.Errorf("%w: it starts with 0 and no default country says which country it belongs to", ErrPhone)
	}
	return fmt.Errorf("%w: it is not written as a phone number", ErrPhone)
}

// isSeparator reports the characters a phone number may carry besides digits and a "+",
// the same set flows.Phone ignores.
func isSeparator(r rune) bool {
	return r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0' || unicode.Is(unicode.Cf, r)
}

func isDigit(r rune) bool {
	return ('0' <= r && r <= '9') || ('٠' <= r && r <= '٩') || ('۰' <= r && r <= '۹')
}

// dropDigits removes the first n digits (of any script) from s, keeping the rest as it is.
func dropDigits(s string, n int) string {
	for i := 0; i < len(s) && n > 0; {
		r, size := utf8.DecodeRuneInString(s[i:])
		if isDigit(r) {
			s = s[:i] + s[i+size:]
			n--
			continue
		}
		i += size
	}
	return s
}
