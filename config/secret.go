package config

import (
	"fmt"
	"log/slog"
)

// redacted is what a Secret shows instead of its value.
const redacted = "[redacted]"

// Secret is a value that must never appear in logs or output: fmt, slog, JSON and text
// marshalling all show "[redacted]" (or "" when empty, so a missing secret is visible).
// Reveal returns the value for the one place that needs it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) shown() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String returns "[redacted]", so %s and %v never print the value.
func (s Secret) String() string { return s.shown() }

// GoString returns "[redacted]" for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.shown()) }

// LogValue makes slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalText makes JSON, YAML and text encoders write "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }

var (
	_ fmt.Stringer   = Secret("")
	_ fmt.GoStringer = Secret("")
	_ slog.LogValuer = Secret("")
)
