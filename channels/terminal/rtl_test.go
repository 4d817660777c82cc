package terminal

import "testing"

func TestMarkRTL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"bot: مرحبا بك", RLM + "bot: مرحبا بك"},
		{"bot: Hello", "bot: Hello"},
		{"bot: Order 123 طلب", "bot: Order 123 طلب"},
		{"bot: اختر\n     [1] الأسعار\n     [2] Hours", RLM + "bot: اختر\n" + RLM + "     [1] الأسعار\n     [2] Hours"},
		{RLM + "مرحبا", RLM + "مرحبا"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MarkRTL(tt.in); got != tt.want {
			t.Errorf("MarkRTL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
