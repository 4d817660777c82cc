package runner

import (
	"context"
	"slices"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
)

// candidate is a recipient with its opt-out and its open windows on the campaign's pool
// numbers, as Profiles read them.
type candidate struct {
	audience.Recipient
	optedOut bool
	windows  []pacing.Window
}

// candidates reads the opt-outs and open windows of a page of recipients in one batch and
// puts those with an open window on a pool number first, in their order, then the others
// in theirs.
func (r *Runner) candidates(ctx context.Context, c *compiled, work []audience.Recipient, now time.Time) ([]candidate, error) {
	out := make([]candidate, len(work))
	for i, w := range work {
		out[i].Recipient = w
	}
	if r.o.Profiles == nil {
		return out, nil
	}
	ids := make([]chat.ContactID, len(work))
	for i, w := range work {
		ids[i] = w.Contact
	}
	states, err := r.o.Profiles.States(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if i >= len(states) {
			break
		}
		out[i].optedOut = states[i].OptedOut
		for _, n := range c.camp.Numbers {
			if at, ok := states[i].Windows[n.ID]; ok && now.Before(at.Add(chat.ServiceWindow)) {
				out[i].windows = append(out[i].windows, pacing.Window{Number: n.ID, Until: at.Add(chat.ServiceWindow)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int {
		return boolRank(len(b.windows) > 0) - boolRank(len(a.windows) > 0)
	})
	return out, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
