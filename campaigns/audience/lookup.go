package audience

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wasla/wasla/chat"
)

// States returns the send states of contacts in one round trip, so the scheduler skips
// pairs already settled without a claim for each (a restart walks the audience again).
func (s *Redis) States(ctx context.Context, contacts []chat.ContactID) ([]State, error) {
	if len(contacts) == 0 {
		return nil, nil
	}
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = string(c)
	}
	vals, err := s.client.HMGet(ctx, s.k.send, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the send states of campaign %q: %w", s.campaign, err)
	}
	out := make([]State, len(vals))
	for i, v := range vals {
		str, _ := v.(string)
		st, err := ParseState(str)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// Recipients returns the audience rows of contacts (a retry names only the contact), in
// two round trips; a contact not in the audience has Line 0.
func (s *Redis) Recipients(ctx context.Context, contacts []chat.ContactID) ([]Recipient, error) {
	if len(contacts) == 0 {
		return nil, nil
	}
	ids := make([]string, len(contacts))
	for i, c := range contacts {
		ids[i] = string(c)
	}
	lines, err := s.client.ZMScore(ctx, s.k.aud, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the audience of campaign %q: %w", s.campaign, err)
	}
	vals, err := s.client.HMGet(ctx, s.k.attrs, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the attributes of campaign %q: %w", s.campaign, err)
	}
	out := make([]Recipient, len(ids))
	for i := range ids {
		out[i] = Recipient{Contact: contacts[i], Line: int(lines[i])}
		if v, ok := vals[i].(string); ok {
			if err := json.Unmarshal([]byte(v), &out[i].Attrs); err != nil {
				return nil, fmt.Errorf("reading the attributes of a contact of campaign %q: %w", s.campaign, err)
			}
		}
	}
	return out, nil
}

// Pending reports whether the campaign has work left: pairs never settled, in flight,
// or waiting for a retry. It is two round trips.
func (s *Redis) Pending(ctx context.Context) (bool, error) {
	pipe := s.client.Pipeline()
	aud := pipe.ZCard(ctx, s.k.aud)
	send := pipe.HLen(ctx, s.k.send)
	inflight := pipe.ZCard(ctx, s.k.inflight)
	retry := pipe.ZCard(ctx, s.k.retry)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, fmt.Errorf("reading the progress of campaign %q: %w", s.campaign, err)
	}
	return aud.Val() > send.Val() || inflight.Val() > 0 || retry.Val() > 0, nil
}
