package whatsapp

import (
	"errors"
	"fmt"
	"strings"
)

// Class groups Meta error codes by what wasla must do about them.
type Class int

// Error classes.
const (
	// ClassOther needs a person: a bug, a configuration or permission problem, bad media.
	ClassOther Class = iota
	// ClassBackOff is temporary: throughput or pair rate limits, maintenance, Meta-side
	// failures. Client retries these with backoff; the caller may retry later too.
	ClassBackOff
	// ClassRestricted means the sending number or its account may not send: spam rate
	// limit, policy block, locked account, country restriction. Mark the number and stop
	// sending from it.
	ClassRestricted
	// ClassUnreachable means this recipient cannot or will not receive the message: not on
	// WhatsApp, marketing cap, experiment hold-out, marketing opt-out. Record it on the
	// contact; do not retry now.
	ClassUnreachable
	// ClassWindowClosed means free-form text was sent outside the 24-hour customer service
	// window: send an approved template instead.
	ClassWindowClosed
	// ClassTemplate is a template problem: missing, unapproved, paused, wrong parameters.
	ClassTemplate
)

// String names the class for logs and metrics.
func (c Class) String() string {
	switch c {
	case ClassBackOff:
		return "back_off"
	case ClassRestricted:
		return "restricted"
	case ClassUnreachable:
		return "unreachable"
	case ClassWindowClosed:
		return "window_closed"
	case ClassTemplate:
		return "template"
	}
	return "other"
}

// MarshalText makes classes readable in JSON.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c Class) sentinel() error {
	switch c {
	case ClassBackOff:
		return ErrBackOff
	case ClassRestricted:
		return ErrRestricted
	case ClassUnreachable:
		return ErrUnreachable
	case ClassWindowClosed:
		return ErrWindowClosed
	case ClassTemplate:
		return ErrTemplate
	}
	return nil
}

// Classify returns the class of a Graph API error code; httpStatus (0 when unknown, as in
// webhooks) classifies the errors whose code says nothing, such as a 502 from a proxy.
//
// The codes come from Meta's error-code reference as collected in WHATSAPP.md §5: back off
// on 130429, 131056, 131057, 131000, 131016, 4, 80007, 80008, 1, 2 and any HTTP 5xx;
// restricted on 131048, 368, 131031, 130497; unreachable on 131026, 131049, 130472,
// 131050; window closed on 131047 (and 470, its On-Premises twin); template on 132xxx.
func Classify(code, httpStatus int) Class {
	switch code {
	case 130429, 131056, 131057, 131000, 131016, 4, 80007, 80008, 1, 2:
		return ClassBackOff
	case 131048, 368, 131031, 130497:
		return ClassRestricted
	case 131026, 131049, 130472, 131050:
		return ClassUnreachable
	case 131047, 470:
		return ClassWindowClosed
	}
	if code >= 132000 && code < 133000 {
		return ClassTemplate
	}
	if httpStatus >= 500 && httpStatus < 600 {
		return ClassBackOff
	}
	return ClassOther
}

// APIError is an error answer of the Graph API, decoded from
// {"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}.
// Meta advises branching on Code and Details, not on Message or HTTPStatus.
type APIError struct {
	Code       int    `json:"code"`
	Subcode    int    `json:"subcode,omitempty"`
	Type       string `json:"type,omitempty"`
	Message    string `json:"message,omitempty"`
	Details    string `json:"details,omitempty"`
	FBTraceID  string `json:"fbtrace_id,omitempty"`
	HTTPStatus int    `json:"http_status"`
}

// Class classifies the error.
func (e *APIError) Class() Class { return Classify(e.Code, e.HTTPStatus) }

// Error describes the error with its code, class and HTTP status. It holds only what Meta
// answered, never the request's token.
func (e *APIError) Error() string {
	return fmt.Sprintf("whatsapp graph api: %s (http %d, %s)", describe(e.Code, e.Message, "", e.Details), e.HTTPStatus, e.Class())
}

// Is reports whether target is the sentinel of e's class, so that
// errors.Is(err, ErrWindowClosed) works through wrapping.
func (e *APIError) Is(target error) bool { return target != nil && e.Class().sentinel() == target }

func describe(code int, title, message, details string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "error %d", code)
	if title != "" {
		b.WriteString(": " + title)
	}
	if message != "" && message != title {
		b.WriteString(": " + message)
	}
	if details != "" && details != title && details != message {
		b.WriteString(" (" + details + ")")
	}
	return b.String()
}

// ClassOf returns the class of the *APIError or WebhookError in err's chain, and
// ClassOther for any other error (a network failure, a refused message) or nil.
func ClassOf(err error) Class {
	var api *APIError
	if errors.As(err, &api) {
		return api.Class()
	}
	var wh WebhookError
	if errors.As(err, &wh) {
		return wh.Class()
	}
	return ClassOther
}

// IsBackOff reports whether err is a Meta error to retry later.
func IsBackOff(err error) bool { return ClassOf(err) == ClassBackOff }

// IsRestricted reports whether err says the sending number or account is restricted.
func IsRestricted(err error) bool { return ClassOf(err) == ClassRestricted }

// IsUnreachable reports whether err says the recipient cannot or will not be reached.
func IsUnreachable(err error) bool { return ClassOf(err) == ClassUnreachable }

// IsWindowClosed reports whether err says the 24-hour customer service window is closed.
func IsWindowClosed(err error) bool { return ClassOf(err) == ClassWindowClosed }

// IsTemplateProblem reports whether err is a template error (132xxx).
func IsTemplateProblem(err error) bool { return ClassOf(err) == ClassTemplate }
