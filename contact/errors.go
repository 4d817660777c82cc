package contact

import "errors"

// ErrConflict is returned by a commit when the state changed since it was loaded.
var ErrConflict = errors.New("state changed since it was loaded")

// ErrDuplicate is returned by a commit when an inbound message in the history was already
// committed once (WhatsApp delivers webhooks at least once). The engine then drops its
// run: the first delivery was answered.
var ErrDuplicate = errors.New("message already handled")
