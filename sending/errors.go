package sending

import "errors"

var (
	// ErrUnknownNumber means the message names a From number that is not in the registry.
	ErrUnknownNumber = errors.New("sending number not in the registry")
	// ErrNumberUnusable means the From number is restricted or banned; nothing was sent.
	ErrNumberUnusable = errors.New("sending number is restricted or banned")
	// ErrThrottled means the number's throughput is used up for longer than the sender may
	// wait; nothing was sent.
	ErrThrottled = errors.New("number throughput limit reached")
)
