package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler is a slog.Handler that passes each record's message and attribute values
// through Text before the next handler writes them, so that an error echoing a token
// never reaches the log even where the code forgot to redact it. Levels, groups and
// attributes added with With keep their behaviour.
type Handler struct {
	next    slog.Handler
	secrets []string
}

// NewHandler returns a Handler writing to next that also blanks the named secrets.
func NewHandler(next slog.Handler, secrets ...string) *Handler {
	return &Handler{next: next, secrets: secrets}
}

var _ slog.Handler = (*Handler)(nil)

// Enabled reports whether next handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts r and hands it on.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Text(r.Message, h.secrets...), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs redacts attrs once, when they are added.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = h.attr(a)
	}
	return &Handler{next: h.next.WithAttrs(red), secrets: h.secrets}
}

// WithGroup opens a group on next.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), secrets: h.secrets}
}

func (h *Handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, Text(v.String(), h.secrets...))
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = h.attr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.Any(a.Key, redactedError{msg: Text(x.Error(), h.secrets...), err: x})
		case fmt.Stringer:
			return slog.String(a.Key, Text(x.String(), h.secrets...))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// redactedError shows the redacted text of err and keeps err for errors.Is and As.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

var _ interface{ Unwrap() error } = redactedError{}

// Error returns err with its text redacted, or nil; errors.Is and errors.As still see err.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := Text(err.Error(), secrets...)
	if msg == err.Error() {
		return err
	}
	return redactedError{msg: msg, err: err}
}
