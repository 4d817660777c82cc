package engine

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"fits, kept as written", " hi ", 10, []string{" hi "}},
		{"empty", "", 10, nil},
		{"paragraphs first", "one two.\n\nthree four", 15, []string{"one two.", "three four"}},
		{"then sentences", "One two. Three four! Five six? Seven", 20, []string{"One two. Three four!", "Five six? Seven"}},
		{"Arabic question mark", "ما اسمك؟ وما مدينتك؟ شكرا", 12, []string{"ما اسمك؟", "وما مدينتك؟", "شكرا"}},
		{"Urdu full stop", "ایک جملہ۔ دوسرا جملہ۔", 12, []string{"ایک جملہ۔", "دوسرا جملہ۔"}},
		{"a full stop inside a number is no sentence end", "pay 3.50 now or later", 12, []string{"pay 3.50 now", "or later"}},
		{"line breaks before words", "line one\nline two words", 14, []string{"line one", "line two words"}},
		{"then words", "alpha beta gamma delta", 11, []string{"alpha beta", "gamma delta"}},
		{"a word longer than max is cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"characters, not bytes", strings.Repeat("ع", 6), 3, []string{"ععع", "ععع"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.text, tt.max)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

// FuzzSplitText checks that every part fits and that nothing but spaces at the cuts is
// lost or reordered.
func FuzzSplitText(f *testing.F) {
	f.Add("One two. Three four!\n\nFive", 7)
	f.Add("ما اسمك؟ وما مدينتك؟", 5)
	f.Add("abcdefghij", 1)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 5000 || !utf8.ValidString(s) {
			t.Skip()
		}
		parts := splitText(s, max)
		for _, p := range parts {
			if n := utf8.RuneCountInString(p); n > max || p == "" {
				t.Fatalf("part %q has %d characters, max %d", p, n, max)
			}
		}
		squash := func(x string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, x)
		}
		if squash(strings.Join(parts, "")) != squash(s) {
			t.Fatalf("parts %q lose or reorder text of %q", parts, s)
		}
	})
}
