package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// Profiles returns the stored profiles of ids in one pipelined round trip (one HGET per
// contact), nil for a contact never committed: for readers of many contacts at once (a
// campaign's page of recipients, an audience chosen by expression) that need no session
// and no version.
func (r *Redis) Profiles(ctx context.Context, ids []chat.ContactID) ([]*contact.Contact, error) {
	out := make([]*contact.Contact, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := r.client.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, r.keysOf(id).contact, "p")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: loading profiles: %w: %w", ErrUnavailable, err)
	}
	for i, cmd := range cmds {
		p, err := cmd.Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store: loading profiles: %w: %w", ErrUnavailable, err)
		}
		c := &contact.Contact{ID: ids[i]}
		if err := contact.DecodeContact(p, c); err != nil {
			return nil, fmt.Errorf("store: loading the profile of %s: %w", ids[i], err)
		}
		out[i] = c
	}
	return out, nil
}
