package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "Hello, World!", "  أريد   الـطّلب رقم #٤٥؟ ", "مَرْحَبًا", "a\xffb", "\u200f١٢٣\u200f", "İSTANBUL", "x\u0301y", "\uFFFD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Text(%q) = %q is not valid UTF-8", s, got)
		}
		if again := Text(got); again != got {
			t.Fatalf("Text is not idempotent: Text(%q) = %q, Text(that) = %q", s, got, again)
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Text(%q) = %q has stray spaces", s, got)
		}
		d := OnlyDigits(s)
		if strings.Trim(d, "0123456789") != "" {
			t.Fatalf("OnlyDigits(%q) = %q has non-digits", s, d)
		}
		if OnlyDigits(Digits(s)) != d {
			t.Fatalf("OnlyDigits(Digits(%q)) != OnlyDigits(%[1]q)", s)
		}
	})
}
