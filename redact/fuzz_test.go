package redact

import (
	"strings"
	"testing"
)

func FuzzText(f *testing.F) {
	for _, s := range []string{"Authorization: Bearer EAAGm0PX4ZCpsBAKZCmL9sZAZB", `{"token":"abc123"}`, "access_token=xyz&b=1", "plain text", ""} {
		f.Add(s, "sk-live-123456")
	}
	f.Fuzz(func(t *testing.T, s, secret string) {
		out := Text(s, secret)
		if len(secret) >= minSecret && !strings.Contains(Mark, secret) && strings.Contains(out, secret) && !strings.Contains(s, Mark) {
			// The named secret may only survive when the marks themselves spell it.
			if strings.Count(out, secret) > strings.Count(strings.ReplaceAll(out, Mark, ""), secret) {
				return
			}
			t.Errorf("Text(%q, %q) = %q keeps the secret", s, secret, out)
		}
		if Text(out, secret) != out {
			t.Errorf("Text is not idempotent on %q: %q then %q", s, out, Text(out, secret))
		}
	})
}
