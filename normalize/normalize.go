package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldKind says what Text does with one rune.
type foldKind uint8

const (
	keep  foldKind = iota // write the (possibly mapped) rune
	drop                  // remove it: diacritics, tatweel, invisible format characters
	space                 // a word break: whitespace and punctuation
)

// foldRune maps one rune for Text.
func foldRune(r rune) (rune, foldKind) {
	if r < utf8.RuneSelf {
		switch {
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A'), keep
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r, keep
		case r == ' ', r == '\t', r == '\n', r == '\r', r == '\v', r == '\f':
			return ' ', space
		case unicode.IsPunct(r):
			return ' ', space
		default:
			return r, keep // symbols such as + $ = and control characters
		}
	}
	switch {
	case 0x064B <= r && r <= 0x065F, r == 0x0670, 0x06D6 <= r && r <= 0x06ED:
		return 0, drop // harakat, shadda, sukun, superscript alef, Quranic marks
	case r == 0x0640:
		return 0, drop // tatweel
	case r == 'أ', r == 'إ', r == 'آ', r == 'ٱ':
		return 'ا', keep
	case r == 'ى', r == 'ی': // alef maqsura, Persian yeh
		return 'ي', keep
	case r == 'ک': // Persian keheh, typed for kaf on Persian keyboards
		return 'ك', keep
	case r == 'ة':
		return 'ه', keep
	case r == 'ؤ':
		return 'و', keep
	case r == 'ئ':
		return 'ي', keep
	case '٠' <= r && r <= '٩':
		return '0' + (r - '٠'), keep
	case '۰' <= r && r <= '۹':
		return '0' + (r - '۰'), keep
	case unicode.IsSpace(r), unicode.IsPunct(r):
		return ' ', space
	case unicode.Is(unicode.Cf, r):
		// Right-to-left marks, zero-width joiners and byte order marks: phones insert
		// them invisibly, so they must not split or change words.
		return 0, drop
	}
	return unicode.ToLower(r), keep
}

// Text folds s for matching: lower case (all scripts); Arabic diacritics (U+064B–U+065F,
// U+0670, U+06D6–U+06ED), tatweel and invisible format characters (U+200F and the like)
// removed; أ إ آ ٱ → ا; ى ی → ي; ک → ك; ة → ه; ؤ → و; ئ → ي; Arabic-Indic (٠-٩) and Persian
// (۰-۹) digits → 0-9; punctuation (Unicode category P, which includes ، ؛ ؟ and the ASCII
// marks) → space; runs of whitespace collapsed to one space; leading and trailing space
// trimmed. Symbols such as + and emoji are kept. Invalid UTF-8 bytes become U+FFFD.
//
// Text is idempotent: Text(Text(s)) == Text(s). When s is already folded it is returned
// as is, without allocating.
func Text(s string) string {
	var b strings.Builder
	copying := false // false: the output so far is s[:w], nothing written to b yet
	w := 0
	started := false // some rune has been kept, so a later space is a word break
	pending := false // a word break is waiting for the next kept rune
	for i, r := range s {
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			_, n = utf8.DecodeRuneInString(s[i:])
		}
		m, kind := foldRune(r)
		switch kind {
		case drop:
			continue
		case space:
			pending = started
			continue
		}
		if pending {
			pending = false
			if !copying && i == w+1 && s[w] == ' ' {
				w++ // the input has exactly the one space the output needs
			} else {
				if !copying {
					copying = true
					b.Grow(len(s))
					b.WriteString(s[:w])
				}
				b.WriteByte(' ')
			}
		}
		started = true
		if !copying {
			if i == w && m == r && (r != utf8.RuneError || n == 3) { // n == 1: an invalid byte
				w = i + n
				continue
			}
			copying = true
			b.Grow(len(s))
			b.WriteString(s[:w])
		}
		b.WriteRune(m)
	}
	if !copying {
		return s[:w]
	}
	return b.String()
}

// digit returns the ASCII digit for an ASCII, Arabic-Indic (٠-٩) or Persian (۰-۹) digit.
func digit(r rune) (rune, bool) {
	switch {
	case '0' <= r && r <= '9':
		return r, true
	case '٠' <= r && r <= '٩':
		return '0' + (r - '٠'), true
	case '۰' <= r && r <= '۹':
		return '0' + (r - '۰'), true
	}
	return r, false
}

// Digits converts Arabic-Indic (٠-٩) and Persian (۰-۹) digits in s to ASCII 0-9 and leaves
// every other character as it is: "طلب ١٢٣" → "طلب 123". It returns s without allocating
// when there is nothing to convert.
func Digits(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf && isNonASCIIDigit(r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if d, ok := digit(r); ok {
			b.WriteByte(byte(d))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isNonASCIIDigit(r rune) bool {
	return ('٠' <= r && r <= '٩') || ('۰' <= r && r <= '۹')
}

// OnlyDigits converts Arabic-Indic and Persian digits to ASCII like Digits and then keeps
// only the digits 0-9, dropping every other character: "+٩٦٦ 50-123" → "96650123". It
// returns s without allocating when s holds ASCII digits only.
func OnlyDigits(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if d, ok := digit(r); ok {
			b.WriteByte(byte(d))
		}
	}
	return b.String()
}
