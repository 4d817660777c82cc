package sending

import (
	"errors"

	"github.com/wasla/wasla/channels/whatsapp"
)

var (
	// ErrUnknownNumber means the message names a From number that is not in the registry.
	ErrUnknownNumber = errors.New("sending number not in the registry")
	// ErrNumberUnusable means the From number is restricted or banned; nothing was sent.
	ErrNumberUnusable = errors.New("sending number is restricted or banned")
	// ErrThrottled means the number's throughput is used up for longer than the sender may
	// wait; nothing was sent.
	ErrThrottled = errors.New("number throughput limit reached")
)

// Code returns Meta's error code in an error of Attempt or SendMessage, and the HTTP
// status it came with; 0, 0 when the error is not Meta's answer (the sender's own refusal,
// a network failure, a timeout). Campaigns turn the code into a fate without reaching
// into the channel.
func Code(err error) (code, httpStatus int) {
	var api *whatsapp.APIError
	if errors.As(err, &api) {
		return api.Code, api.HTTPStatus
	}
	return 0, 0
}
