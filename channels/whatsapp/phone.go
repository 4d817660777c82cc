package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wasla/wasla/chat"
)

// PhoneHealthFields are the phone number node's fields PhoneHealth reads: Meta's
// health_status (can_send_message per number, account and business, WHATSAPP-2026.md
// §A11), the quality rating, the throughput level and the portfolio's messaging limit
// (WHATSAPP.md §4.1, §4.2; messaging_limit_tier is deprecated).
const PhoneHealthFields = "health_status,quality_rating,throughput,whatsapp_business_manager_messaging_limit"

// CanSend values of health_status.can_send_message.
const (
	CanSendAvailable = "AVAILABLE"
	CanSendLimited   = "LIMITED"
	CanSendBlocked   = "BLOCKED"
)

// HealthEntity is one node of health_status: the number, its account, its business or
// the app, each with whether it can send and why not.
type HealthEntity struct {
	Type    string        `json:"entity_type"`
	ID      string        `json:"id"`
	CanSend string        `json:"can_send_message"`
	Errors  []HealthError `json:"errors,omitempty"`
}

// HealthError is Meta's reason an entity is limited or blocked.
type HealthError struct {
	Code        int    `json:"error_code"`
	Description string `json:"error_description"`
	Solution    string `json:"possible_solution,omitempty"`
}

// PhoneHealth is Meta's answer about one number.
type PhoneHealth struct {
	// CanSend is health_status.can_send_message overall: AVAILABLE, LIMITED or BLOCKED.
	CanSend  string         `json:"can_send_message"`
	Entities []HealthEntity `json:"entities,omitempty"`
	// Quality is quality_rating: GREEN, YELLOW, RED or UNKNOWN.
	Quality string `json:"quality_rating"`
	// Throughput is throughput.level: STANDARD (80/s), HIGH (1,000/s) or NOT_APPLICABLE.
	Throughput string `json:"throughput"`
	// Limit is whatsapp_business_manager_messaging_limit: TIER_250 ... TIER_UNLIMITED.
	Limit string `json:"messaging_limit"`
}

// Reason sums up why the number cannot send (or may send only in part), from the first
// entity that is not AVAILABLE; "" when nothing is wrong.
func (h *PhoneHealth) Reason() string {
	for _, e := range h.Entities {
		if e.CanSend == "" || e.CanSend == CanSendAvailable {
			continue
		}
		why := strings.ToLower(e.Type) + " " + e.CanSend
		for _, er := range e.Errors {
			why += fmt.Sprintf(": %d %s", er.Code, er.Description)
		}
		return why
	}
	if h.CanSend != "" && h.CanSend != CanSendAvailable {
		return "can_send_message " + h.CanSend
	}
	return ""
}

// PhoneHealth reads Meta's health of a number: GET /{phone number id}?fields=...
// It is one request without retries: the caller polls on a schedule and reports a
// failure, the next poll tries again.
func (c *Client) PhoneHealth(ctx context.Context, phoneNumberID chat.NumberID, token string) (*PhoneHealth, error) {
	if phoneNumberID == "" {
		return nil, errors.New("whatsapp graph api: no phone number id to read")
	}
	if token == "" {
		return nil, errors.New("whatsapp graph api: no access token for the number")
	}
	endpoint := strings.TrimSuffix(c.MessagesURL(phoneNumberID), "/messages") + "?fields=" + url.QueryEscape(PhoneHealthFields)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("building graph api request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading the health of number %s from the graph api: %w", phoneNumberID, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, fmt.Errorf("reading graph api answer (http %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, decodeAPIError(resp.StatusCode, data, token)
	}
	return ParsePhoneHealth(data)
}

// ParsePhoneHealth decodes the phone number node's answer to PhoneHealthFields.
func ParsePhoneHealth(data []byte) (*PhoneHealth, error) {
	var wire struct {
		HealthStatus *struct {
			CanSend  string         `json:"can_send_message"`
			Entities []HealthEntity `json:"entities"`
		} `json:"health_status"`
		Quality    string          `json:"quality_rating"`
		Throughput json.RawMessage `json:"throughput"`
		Limit      string          `json:"whatsapp_business_manager_messaging_limit"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return nil, fmt.Errorf("decoding the number's health from the graph api: %w", err)
	}
	h := &PhoneHealth{Quality: wire.Quality, Limit: wire.Limit}
	if wire.HealthStatus != nil {
		h.CanSend, h.Entities = wire.HealthStatus.CanSend, wire.HealthStatus.Entities
	}
	// throughput is {"level":"STANDARD"}; tolerate a bare string.
	if len(wire.Throughput) > 0 && string(wire.Throughput) != "null" {
		var t struct {
			Level string `json:"level"`
		}
		if err := json.Unmarshal(wire.Throughput, &t); err != nil {
			if err := json.Unmarshal(wire.Throughput, &h.Throughput); err != nil {
				return nil, fmt.Errorf("decoding the number's throughput from the graph api: %w", err)
			}
		} else {
			h.Throughput = t.Level
		}
	}
	return h, nil
}
