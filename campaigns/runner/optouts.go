package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
)

// OptOut counts a contact's opt-out (an opt-out word, Meta's marketing stop) against
// every campaign that reached the contact, by the rules of Inbound: on one of the
// campaign's numbers at any time after the send, on another of the business's numbers
// within Options.ReplyWindow. Each (campaign, contact) counts once; the stop-loss reads
// the count.
func (r *Runner) OptOut(ctx context.Context, contact chat.ContactID, number chat.NumberID, at time.Time) error {
	r.mu.Lock()
	windows := make(map[string]time.Duration, len(r.known))
	for name, k := range r.known {
		windows[name] = r.o.ReplyWindow
		if k.pool[number] {
			windows[name] = 1 << 62 // any time after the send
		}
	}
	r.mu.Unlock()
	var errs []error
	for name, window := range windows {
		aud, err := r.o.Control.Audience(name)
		if err != nil {
			continue
		}
		if _, err := aud.OptOut(ctx, contact, at, window); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("counting opt-outs: %w", err)
	}
	return nil
}
