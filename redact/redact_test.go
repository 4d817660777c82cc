package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

const token = "EAAGm0PX4ZCpsBAKZCmL9sZAZBtoken"

func TestText(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		secrets        []string
	}{
		{"named secret", "token sk-live-123456 leaked", "token [redacted] leaked", []string{"sk-live-123456"}},
		{"short named secret is ignored", "abc is fine", "abc is fine", []string{"abc"}},
		{"bearer", "Authorization: Bearer " + token, "Authorization: Bearer [redacted]", nil},
		{"bearer of another shape", "got bearer abc.def-123", "got bearer [redacted]", nil},
		{"json echo of headers", `{"headers":{"Authorization":"Bearer xyz123456"}}`, `{"headers":{"Authorization":"Bearer [redacted]"}}`, nil},
		{"escaped json echo", `{\"Authorization\":\"Basic dXNlcjpwYXNz\"}`, `{\"Authorization\":\"Basic [redacted]\"}`, nil},
		{"query parameter", "GET /x?access_token=abcdef123&b=1", "GET /x?access_token=[redacted]&b=1", nil},
		{"json token field", `{"token":"abcdef123"}`, `{"token":"[redacted]"}`, nil},
		{"meta token alone", "invalid " + token + " given", "invalid [redacted] given", nil},
		{"ordinary text", "error 131047: Re-engagement message (http 400, window_closed)", "error 131047: Re-engagement message (http 400, window_closed)", nil},
		{"words near the names", "the token expired; basic usage", "the token expired; basic usage", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in, tc.secrets...); got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

var errBase = errors.New("base")

func TestError(t *testing.T) {
	err := Error(errors.Join(errBase, errors.New("Bearer "+token)))
	if strings.Contains(err.Error(), token) {
		t.Errorf("Error kept the token: %v", err)
	}
	if !errors.Is(err, errBase) {
		t.Error("errors.Is lost the wrapped error")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	plain := errors.New("plain")
	if Error(plain) != plain {
		t.Error("an error without secrets was replaced")
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil), "s3cr3t-app"))
	log = log.With("ctx", "Bearer "+token).WithGroup("g")
	log.Warn("send failed: Bearer "+token, "error", errors.New("echo "+token), "s", "app s3cr3t-app",
		"obj", stringer("access_token="+token), slog.Group("inner", "k", "Bearer "+token), "n", 3)
	out := buf.String()
	for _, leak := range []string{token, "s3cr3t-app"} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, `"n":3`) || !strings.Contains(out, `"inner":{"k":"Bearer [redacted]"}`) {
		t.Errorf("log lost its shape:\n%s", out)
	}
}
