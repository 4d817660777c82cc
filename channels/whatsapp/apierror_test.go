package whatsapp

import (
	"errors"
	"fmt"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		code, http int
		want       Class
	}{
		{130429, 400, ClassBackOff},
		{131056, 400, ClassBackOff},
		{131057, 400, ClassBackOff},
		{4, 400, ClassBackOff},
		{80007, 400, ClassBackOff},
		{131000, 500, ClassBackOff},
		{0, 500, ClassBackOff},
		{0, 503, ClassBackOff},
		{131048, 400, ClassRestricted},
		{368, 403, ClassRestricted},
		{131031, 400, ClassRestricted},
		{130497, 400, ClassRestricted},
		{131026, 400, ClassUnreachable},
		{131049, 0, ClassUnreachable},
		{130472, 400, ClassUnreachable},
		{131050, 400, ClassUnreachable},
		{131047, 400, ClassWindowClosed},
		{132000, 400, ClassTemplate},
		{132001, 404, ClassTemplate},
		{132015, 400, ClassTemplate},
		{132999, 400, ClassTemplate},
		{133010, 400, ClassOther},
		{100, 400, ClassOther},
		{190, 401, ClassOther},
		{131051, 0, ClassOther},
		{0, 0, ClassOther},
		// The code wins over the HTTP status: a restricted number stays restricted.
		{131048, 500, ClassRestricted},
	}
	for _, tt := range tests {
		if got := Classify(tt.code, tt.http); got != tt.want {
			t.Errorf("Classify(%d, %d) = %v, want %v", tt.code, tt.http, got, tt.want)
		}
	}
}

func TestAPIErrorText(t *testing.T) {
	e := &APIError{Code: 131047, Type: "OAuthException", Message: "(#131047) Re-engagement message",
		Details: "Message failed to send because more than 24 hours have passed since the customer last replied to this number.", HTTPStatus: 400}
	want := "whatsapp graph api: error 131047: (#131047) Re-engagement message (Message failed to send because more than 24 hours have passed since the customer last replied to this number.) (http 400, window_closed)"
	if e.Error() != want {
		t.Errorf("Error() =\n%q\nwant\n%q", e.Error(), want)
	}
}

func TestClassPredicatesThroughWrapping(t *testing.T) {
	wrap := func(e error) error { return fmt.Errorf("sending step ask: %w", e) }
	tests := []struct {
		err  error
		pred func(error) bool
		is   error
	}{
		{wrap(&APIError{Code: 130429}), IsBackOff, ErrBackOff},
		{wrap(&APIError{Code: 368}), IsRestricted, ErrRestricted},
		{wrap(&APIError{Code: 131026}), IsUnreachable, ErrUnreachable},
		{wrap(&APIError{Code: 131047}), IsWindowClosed, ErrWindowClosed},
		{wrap(&APIError{Code: 132012}), IsTemplateProblem, ErrTemplate},
		{wrap(WebhookError{Code: 131047}), IsWindowClosed, ErrWindowClosed},
	}
	for _, tt := range tests {
		if !tt.pred(tt.err) || !errors.Is(tt.err, tt.is) {
			t.Errorf("%v: predicate or errors.Is(%v) false", tt.err, tt.is)
		}
		if errors.Is(tt.err, ErrInvalidMessage) {
			t.Errorf("%v matches ErrInvalidMessage", tt.err)
		}
	}
	if ClassOf(errors.New("network down")) != ClassOther || IsBackOff(nil) {
		t.Error("plain errors must be ClassOther")
	}
	if errors.Is(&APIError{Code: 100}, ErrBackOff) || errors.Is(&APIError{Code: 100}, nil) {
		t.Error("ClassOther error matches a sentinel")
	}
}
