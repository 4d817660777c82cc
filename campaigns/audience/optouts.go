package audience

import (
	"context"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
)

// OptedOutKey returns the key of the contacts who opted out after the campaign reached
// them: hash contact -> when (unix ms).
func (s *Redis) OptedOutKey() string { return s.k.base + "optedout" }

// OptOut counts contact's opt-out at (an opt-out word, Meta's marketing stop) against the
// campaign when its template reached the contact at most window before: once per
// (campaign, contact), by Reply's script. It returns the number that sent, "" when it
// did not count. The campaign's stop-loss reads it (outcome.Counters.OptedOutAfterSend).
func (s *Redis) OptOut(ctx context.Context, contact chat.ContactID, at time.Time, window time.Duration) (chat.NumberID, error) {
	num, err := replyScript.Run(ctx, s.client, []string{s.k.send, s.OptedOutKey()},
		string(contact), at.UnixMilli(), window.Milliseconds(), s.k.base+"n:", "opted_out_after_send").Text()
	if err != nil {
		return "", fmt.Errorf("counting an opt-out from campaign %q: %w", s.campaign, err)
	}
	return chat.NumberID(num), nil
}
