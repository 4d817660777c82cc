package normalize

import (
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii folded", "order status", "order status"},
		{"upper case", "ORDER Status", "order status"},
		{"unicode upper case", "ÉCOLE Straße", "école straße"},
		{"trim and collapse", "  hello \t\n  world  ", "hello world"},
		{"punctuation", "hi!!! how are you?", "hi how are you"},
		{"hash and dash", "#order-123", "order 123"},
		{"symbols kept", "1+1=2 $5", "1+1=2 $5"},
		{"harakat", "مَرْحَبًا", "مرحبا"},
		{"shadda", "محمّد", "محمد"},
		{"superscript alef", "هٰذا", "هذا"},
		{"tatweel", "طـــلب", "طلب"},
		{"alef with hamza above", "أهلا", "اهلا"},
		{"alef with hamza below", "إلغاء", "الغاء"},
		{"alef madda", "آخر", "اخر"},
		{"alef wasla", "ٱلله", "الله"},
		{"alef maqsura", "مستشفى", "مستشفي"},
		{"ta marbuta", "القائمة", "القايمه"},
		{"waw with hamza", "مسؤول", "مسوول"},
		{"ya with hamza", "رئيس", "رييس"},
		{"persian yeh and keheh", "کتابی", "كتابي"},
		{"arabic-indic digits", "طلب ١٢٣٤", "طلب 1234"},
		{"persian digits", "۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"arabic punctuation", "مرحبا، كيف الحال؟ تمام؛ شكرا", "مرحبا كيف الحال تمام شكرا"},
		{"right-to-left mark removed", "\u200fطلبي\u200f", "طلبي"},
		{"zero-width non-joiner removed", "می\u200cخواهم", "ميخواهم"},
		{"superscript alef is dropped, not read as alef", "ذَٰلِكَ ٱلْكِتَٰبُ", "ذلك الكتب"},
		{"mixed", "  أريد   الـطّلب رقم #٤٥؟ ", "اريد الطلب رقم 45"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"punctuation only", "؟!...", ""},
		{"emoji kept", "👍 ok", "👍 ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := Text(tt.want); got != tt.want {
				t.Errorf("Text(%q) = %q: the folded form must fold to itself", tt.want, got)
			}
		})
	}
}

func TestDigits(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii untouched", "order 123", "order 123"},
		{"arabic-indic", "٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"persian", "۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"other characters kept", "طلب رقم ١٢٣-٤", "طلب رقم 123-4"},
		{"mixed scripts", "1٢۳", "123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Digits(tt.in); got != tt.want {
				t.Errorf("Digits(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestOnlyDigits(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii digits", "0501234567", "0501234567"},
		{"phone with spaces", "+966 50 123 4567", "966501234567"},
		{"arabic-indic with dashes", "٠٥٠-١٢٣-٤٥٦٧", "0501234567"},
		{"persian", "۹۶۶", "966"},
		{"no digits", "طلب", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OnlyDigits(tt.in); got != tt.want {
				t.Errorf("OnlyDigits(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Already-folded text is what triggers compare most often; it must cost nothing.
func TestTextFoldedDoesNotAllocate(t *testing.T) {
	for _, s := range []string{"order status", "طلبي 123", "القايمه"} {
		if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 0 {
			t.Errorf("Text(%q) allocates %v times, want 0", s, n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Digits("order 123") }); n != 0 {
		t.Errorf("Digits of ASCII allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = OnlyDigits("0501234567") }); n != 0 {
		t.Errorf("OnlyDigits of ASCII digits allocates %v times, want 0", n)
	}
}

func TestTextChangedAllocatesOnce(t *testing.T) {
	s := "  أريد   الـطّلب رقم #٤٥؟ "
	if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 1 {
		t.Errorf("Text allocates %v times, want 1", n)
	}
}

func BenchmarkText(b *testing.B) {
	cases := []struct{ name, in string }{
		{"folded", "i want to check my order status"},
		{"arabic", "  أريد معرفة حالة الطّلب رقم ٤٥٦٧؟ "},
		{"english", "Hello! I want to CHECK my order, please."},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.in)))
			for b.Loop() {
				_ = Text(c.in)
			}
		})
	}
}
