package whatsapp

import "errors"

// Errors of the webhook side.
var (
	// ErrMalformed wraps every error of ParseWebhook: the body is not the JSON envelope
	// Meta sends. The server answers it with 400.
	ErrMalformed = errors.New("malformed webhook payload")
	// ErrMissingSignature means the X-Hub-Signature-256 header is absent or empty.
	ErrMissingSignature = errors.New("missing X-Hub-Signature-256 signature")
	// ErrBadSignature means the signature header is not sha256=<hex> or does not match
	// the body.
	ErrBadSignature = errors.New("bad X-Hub-Signature-256 signature")
	// ErrNoAppSecret means signature checking was asked for without an app secret, a
	// configuration mistake that must not pass as "valid".
	ErrNoAppSecret = errors.New("no app secret configured")
	// ErrHandshake means a GET verification request is not a subscribe request with a
	// challenge.
	ErrHandshake = errors.New("not a webhook verification request")
	// ErrVerifyToken means the verification request carries the wrong verify token.
	ErrVerifyToken = errors.New("webhook verify token does not match")
)

// Errors of the sending side.
var (
	// ErrInvalidMessage wraps every reason BuildMessage refuses a chat.Outbound: a kind
	// WhatsApp cannot send, or a limit Meta documents (three buttons, ten list rows, ...).
	ErrInvalidMessage = errors.New("invalid outbound message")

	// The class sentinels match an *APIError or *WebhookError of that class with
	// errors.Is, for callers that prefer sentinels to errors.As and Class.
	ErrBackOff      = errors.New("whatsapp: back off and retry later")
	ErrRestricted   = errors.New("whatsapp: number or account restricted")
	ErrUnreachable  = errors.New("whatsapp: recipient unreachable or opted out")
	ErrWindowClosed = errors.New("whatsapp: customer service window closed")
	ErrTemplate     = errors.New("whatsapp: template problem")
)
