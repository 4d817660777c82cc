package runner

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/chat"
)

// DefaultReplyWindow is how long after a campaign's send a message from the contact on
// any of the business's numbers counts as a reply to it. A message on one of the
// campaign's own numbers counts whenever it comes.
const DefaultReplyWindow = 72 * time.Hour

// known is what the runner remembers of every started campaign for inbound messages:
// its pool and its replies section, refreshed by each pass.
type known struct {
	sum    [32]byte
	pool   map[chat.NumberID]bool
	policy string
	flow   string
	state  string
}

// remember refreshes the runner's view of the started campaigns from their records.
func (r *Runner) remember(recs []Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := make(map[string]bool, len(recs))
	for _, rec := range recs {
		seen[rec.Name] = true
		sum := sha256.Sum256(rec.Source)
		if k := r.known[rec.Name]; k != nil && k.sum == sum {
			k.state = rec.State
			continue
		}
		camp, diags := campaignfile.Parse(rec.File, rec.Source)
		if diags.HasErrors() {
			continue
		}
		k := &known{sum: sum, pool: map[chat.NumberID]bool{}, policy: camp.Policy, flow: camp.Flow, state: rec.State}
		for _, n := range camp.Numbers {
			k.pool[n.ID] = true
		}
		r.known[rec.Name] = k
	}
	for name := range r.known {
		if !seen[name] {
			delete(r.known, name)
		}
	}
}

// Refresh reads the started campaigns now, for a runner that has not made a pass yet (a
// server that takes webhooks before its first pass).
func (r *Runner) Refresh(ctx context.Context) error {
	recs, err := r.o.Control.List(ctx)
	if err != nil {
		return err
	}
	r.remember(recs)
	return nil
}

// Inbound counts a contact's message as a reply to every campaign that sent to the
// contact: on one of the campaign's numbers at any time after the send, on any other of
// the business's numbers within Options.ReplyWindow after it. Each (campaign, contact)
// counts once ("replied" in the status). Cancelled campaigns count too: the contact did
// receive their template.
func (r *Runner) Inbound(ctx context.Context, contact chat.ContactID, number chat.NumberID, at time.Time) error {
	err := r.eachReached(number, func(name string, aud *audience.Redis, window time.Duration) error {
		num, err := aud.Reply(ctx, contact, at, window)
		if err == nil && num != "" {
			r.o.Metrics.replied(name, num)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("counting replies: %w", err)
	}
	return nil
}

// eachReached calls fn with the audience of every started campaign and the window in
// which a message on number still answers it: any time after the send on one of the
// campaign's own numbers, Options.ReplyWindow on another. It walks every campaign even
// when fn fails and returns the failures joined; a campaign whose audience cannot be
// opened is skipped.
func (r *Runner) eachReached(number chat.NumberID, fn func(name string, aud *audience.Redis, window time.Duration) error) error {
	type target struct {
		name   string
		window time.Duration
	}
	r.mu.Lock()
	targets := make([]target, 0, len(r.known))
	for name, k := range r.known {
		w := r.o.ReplyWindow
		if k.pool[number] {
			w = 1 << 62 // any time after the send
		}
		targets = append(targets, target{name, w})
	}
	r.mu.Unlock()
	var errs []error
	for _, t := range targets {
		aud, err := r.o.Control.Audience(t.name)
		if err != nil {
			continue
		}
		if err := fn(t.name, aud, t.window); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Replies returns the replies section of the started campaign whose pool holds number:
// its policy (link, bridge, hold) and reply flow. When several started campaigns share the
// number, a running one wins over a paused or finished one. ok is false when no started
// campaign sends from number; the serve configuration's routing then applies.
func (r *Runner) Replies(number chat.NumberID) (campaign, policy, flow string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rank := func(k *known) int {
		if k.state == StateRunning {
			return 0
		}
		return 1
	}
	best := ""
	for name, k := range r.known {
		if !k.pool[number] || k.state == StateCancelled {
			continue
		}
		if best == "" {
			best = name
			continue
		}
		if b := r.known[best]; rank(k) < rank(b) || (rank(k) == rank(b) && name < best) {
			best = name
		}
	}
	if best == "" {
		return "", "", "", false
	}
	k := r.known[best]
	return best, k.policy, k.flow, true
}
