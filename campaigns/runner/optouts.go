package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/chat"
)

// OptOut counts a contact's opt-out (an opt-out word, Meta's marketing stop) against
// every campaign that reached the contact, by the rules of Inbound: on one of the
// campaign's numbers at any time after the send, on another of the business's numbers
// within Options.ReplyWindow. Each (campaign, contact) counts once; the stop-loss reads
// the count.
func (r *Runner) OptOut(ctx context.Context, contact chat.ContactID, number chat.NumberID, at time.Time) error {
	err := r.eachReached(number, func(_ string, aud *audience.Redis, window time.Duration) error {
		_, err := aud.OptOut(ctx, contact, at, window)
		return err
	})
	if err != nil {
		return fmt.Errorf("counting opt-outs: %w", err)
	}
	return nil
}
