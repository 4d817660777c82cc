package terminal

import (
	"strings"
	"unicode"
)

// RLM is the right-to-left mark. A line that starts with it is laid out right to left by
// a terminal that applies the Unicode bidi rules per line, and marks the line for one
// that does not.
const RLM = "\u200f"

// MarkRTL starts each line of s that is mostly right-to-left letters (Arabic, Hebrew, ...)
// with RLM, so that a reply such as "bot: مرحبا" reads from the right edge even though its
// prefix is Latin. Other lines are left alone.
func MarkRTL(s string) string {
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if isRTL(line) && !strings.HasPrefix(line, RLM) {
			lines[i] = RLM + line
		}
	}
	return strings.Join(lines, "\n")
}

func isRTL(line string) bool {
	rtl, ltr := 0, 0
	for _, r := range line {
		switch {
		case unicode.In(r, unicode.Arabic, unicode.Hebrew, unicode.Syriac, unicode.Thaana, unicode.Nko):
			if unicode.IsLetter(r) {
				rtl++
			}
		case unicode.IsLetter(r):
			ltr++
		}
	}
	return rtl > ltr
}
