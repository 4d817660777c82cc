package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/redact"
)

// Defaults of Client.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v25.0"
)

// maxResponseBody bounds how much of an answer is read: Graph API answers are small, and a
// misbehaving proxy must not make the sender buffer megabytes.
const maxResponseBody = 1 << 20

// defaultTimeout bounds one request when Client.HTTP is nil.
const defaultTimeout = 30 * time.Second

// MaxConnsPerHost bounds the idle keep-alive connections NewHTTPClient keeps to the Graph
// API. Sends are concurrent (a number sending 1,000 messages a second with Meta answering
// in 150 ms has 150 requests in flight); net/http's default of 2 idle connections per host
// would close and reopen almost every one of them.
const MaxConnsPerHost = 1024

// NewHTTPClient returns the HTTP client for the Graph API: a 30-second timeout, HTTP/2
// where the server offers it over TLS (graph.facebook.com does, so one connection carries
// many concurrent sends), and up to MaxConnsPerHost keep-alive connections reused over
// HTTP/1.1.
func NewHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ForceAttemptHTTP2 = true
	t.MaxIdleConns = MaxConnsPerHost
	t.MaxIdleConnsPerHost = MaxConnsPerHost
	return &http.Client{Timeout: defaultTimeout, Transport: t}
}

// Client sends messages through the Graph API. The zero value is usable: it talks to
// DefaultBaseURL with DefaultVersion, with a 30-second timeout, and retries with
// DefaultRetry(). A Client is safe for concurrent use; do not change its fields while it
// is sending.
//
// Tokens are passed per call, because each business number may have its own; they go
// only into the Authorization header and never into errors or logs.
type Client struct {
	// BaseURL is the Graph API root, overridable for tests and proxies.
	BaseURL string
	// Version is the Graph API version path segment, such as "v25.0".
	Version string
	// HTTP performs the requests; nil means a client on http.DefaultTransport with a
	// 30-second timeout (few keep-alive connections: servers use NewHTTPClient).
	HTTP *http.Client
	// Retry is the backoff policy for the back-off class; zero fields take the
	// values of DefaultRetry().
	Retry RetryPolicy
	// Logger receives a Debug record per retry; nil discards.
	Logger *slog.Logger
}

// RetryPolicy says how often and how long to wait before retrying a send that failed
// with a back-off class error (rate limits, Meta-side failures, HTTP 5xx). Other errors,
// including network errors, are never retried: the request may have reached Meta, and a
// second attempt could deliver the message twice.
type RetryPolicy struct {
	// Attempts is the total number of tries, the first included; 1 disables retries.
	Attempts int
	// Base is the wait before the first retry; it is multiplied by Factor before each
	// later one, up to Max. Meta asks for 4^X seconds for the pair rate limit (131056).
	Base   time.Duration
	Factor float64
	Max    time.Duration
	// Jitter turns a computed wait into the wait actually slept; nil means a random
	// duration between half and all of it, so that replicas do not retry in step.
	Jitter func(d time.Duration) time.Duration
	// Sleep waits for d or until ctx is done; nil means a timer. Tests inject one that
	// records the waits and returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetry returns the policy used for zero fields: four tries, waiting about 1 s,
// 4 s and 16 s.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{Attempts: 4, Base: time.Second, Factor: 4, Max: 30 * time.Second}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetry()
	if p.Attempts > 0 {
		d.Attempts = p.Attempts
	}
	if p.Base > 0 {
		d.Base = p.Base
	}
	if p.Factor >= 1 {
		d.Factor = p.Factor
	}
	if p.Max > 0 {
		d.Max = p.Max
	}
	d.Jitter, d.Sleep = p.Jitter, p.Sleep
	if d.Jitter == nil {
		d.Jitter = halfJitter
	}
	if d.Sleep == nil {
		d.Sleep = clock.Sleep
	}
	return d
}

// Delay returns the wait before retry number retry (1 for the first retry), before
// jitter.
func (p RetryPolicy) Delay(retry int) time.Duration {
	p = p.withDefaults()
	d := float64(p.Base)
	for i := 1; i < retry; i++ {
		d *= p.Factor
		if d >= float64(p.Max) {
			return p.Max
		}
	}
	return min(time.Duration(d), p.Max)
}

func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Send delivers msg from the business number phoneNumberID and returns the wamid Meta
// assigned. A wamid means accepted, not delivered: failures can still arrive later as a
// failed status webhook. Errors from Meta are *APIError (see Class and the Is*
// predicates); a refused message wraps ErrInvalidMessage.
func (c *Client) Send(ctx context.Context, phoneNumberID chat.NumberID, token string, msg chat.Outbound) (string, error) {
	req, err := NewSendRequest(msg)
	if err != nil {
		return "", err
	}
	return c.SendRequest(ctx, phoneNumberID, token, req)
}

// SendRequest sends a prepared request, such as one from NewTemplateRequest.
func (c *Client) SendRequest(ctx context.Context, phoneNumberID chat.NumberID, token string, req *SendRequest) (string, error) {
	body, err := marshalBody(req)
	if err != nil {
		return "", fmt.Errorf("encoding send request: %w", err)
	}
	var resp struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := c.post(ctx, phoneNumberID, token, body, &resp); err != nil {
		return "", err
	}
	if len(resp.Messages) == 0 || resp.Messages[0].ID == "" {
		return "", errors.New("whatsapp graph api: send answered without a message id")
	}
	return resp.Messages[0].ID, nil
}

// MarkRead marks the inbound message messageID (and the earlier messages of the thread)
// as read, showing the typing indicator when typing is set.
func (c *Client) MarkRead(ctx context.Context, phoneNumberID chat.NumberID, token, messageID string, typing bool) error {
	body, err := BuildMarkRead(messageID, typing)
	if err != nil {
		return err
	}
	var resp struct {
		Success bool `json:"success"`
	}
	if err := c.post(ctx, phoneNumberID, token, body, &resp); err != nil {
		return err
	}
	if !resp.Success {
		return errors.New("whatsapp graph api: mark as read answered without success")
	}
	return nil
}

// MessagesURL returns the endpoint messages are posted to for a number.
func (c *Client) MessagesURL(phoneNumberID chat.NumberID) string {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	version := c.Version
	if version == "" {
		version = DefaultVersion
	}
	return strings.TrimRight(base, "/") + "/" + url.PathEscape(version) + "/" + url.PathEscape(string(phoneNumberID)) + "/messages"
}

func (c *Client) post(ctx context.Context, phoneNumberID chat.NumberID, token string, body []byte, out any) error {
	if phoneNumberID == "" {
		return fmt.Errorf("%w: no phone number id to send from", ErrInvalidMessage)
	}
	if token == "" {
		return errors.New("whatsapp graph api: no access token for the number")
	}
	policy := c.Retry.withDefaults()
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	endpoint := c.MessagesURL(phoneNumberID)
	for attempt := 1; ; attempt++ {
		err := c.try(ctx, endpoint, token, body, out)
		if err == nil {
			return nil
		}
		if attempt >= policy.Attempts || !IsBackOff(err) {
			return err
		}
		wait := policy.Jitter(policy.Delay(attempt))
		log.DebugContext(ctx, "whatsapp send backing off",
			"number", string(phoneNumberID), "attempt", attempt, "wait", wait, "err", err)
		if serr := policy.Sleep(ctx, wait); serr != nil {
			return fmt.Errorf("waiting to retry: %w (last error: %w)", serr, err)
		}
	}
}

// try performs one request. Errors never mention the token: it travels only in the
// Authorization header, which neither net/http nor this code puts into error texts.
func (c *Client) try(ctx context.Context, endpoint, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building graph api request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("posting to graph api: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return fmt.Errorf("reading graph api answer (http %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeAPIError(resp.StatusCode, data, token)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding graph api answer (http %d): %w", resp.StatusCode, err)
	}
	return nil
}

// decodeAPIError turns an error answer into *APIError. An answer that is not Meta's error
// JSON (a proxy's HTML page) keeps the HTTP status and a short excerpt. Every text taken
// from the answer is redacted (the token and anything shaped like a credential), because
// a misbehaving proxy or API may echo the request headers into its error: the error goes
// on to logs, the contact's history and exports.
func decodeAPIError(status int, data []byte, token string) *APIError {
	var wire struct {
		Error *struct {
			Message      string `json:"message"`
			Type         string `json:"type"`
			Code         int    `json:"code"`
			ErrorSubcode int    `json:"error_subcode"`
			ErrorData    struct {
				Details string `json:"details"`
			} `json:"error_data"`
			FBTraceID string `json:"fbtrace_id"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &wire); err != nil || wire.Error == nil {
		excerpt := redact.Text(strings.TrimSpace(string(data)), token)
		if len(excerpt) > 200 {
			excerpt = excerpt[:200] + "..."
		}
		return &APIError{HTTPStatus: status, Message: "unexpected answer: " + excerpt}
	}
	e := wire.Error
	return &APIError{
		Code: e.Code, Subcode: e.ErrorSubcode, Type: redact.Text(e.Type, token), Message: redact.Text(e.Message, token),
		Details: redact.Text(e.ErrorData.Details, token), FBTraceID: redact.Text(e.FBTraceID, token), HTTPStatus: status,
	}
}
