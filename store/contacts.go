package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// ResolveContact returns the contact id a message belongs to, given the wa_id and Meta's
// user_id (BSUID) the webhook carried; either may be empty. A user id that a committed
// contact carries in its profile maps to that contact: a customer known by phone number who
// then hides it keeps their history and session, and so does one first seen by user id only
// whose phone number shows up later. Otherwise the wa_id is the contact, and without one
// the user id. A message with a user id costs one GET; without, no I/O.
func (r *Redis) ResolveContact(ctx context.Context, waID, userID string) (chat.ContactID, error) {
	ids, err := r.ResolveContacts(ctx, []string{waID}, []string{userID})
	if err != nil {
		return "", err
	}
	return ids[0], nil
}

// ResolveContacts resolves the contacts of many messages at once, as ResolveContact does
// for one: waIDs[i] and userIDs[i] are the ids message i carried. The GETs of every message
// with a user id go in one pipeline, so a webhook POST of a thousand messages costs one
// round trip (one per master on a cluster), not a thousand, before it can answer 200.
func (r *Redis) ResolveContacts(ctx context.Context, waIDs, userIDs []string) ([]chat.ContactID, error) {
	if len(waIDs) != len(userIDs) {
		return nil, fmt.Errorf("store: resolving contacts: %d wa_ids but %d user_ids", len(waIDs), len(userIDs))
	}
	out := make([]chat.ContactID, len(waIDs))
	gets := make([]*redis.StringCmd, len(waIDs))
	pipe := r.client.Pipeline()
	for i, userID := range userIDs {
		if userID == "" {
			if waIDs[i] == "" {
				return nil, errors.New("store: resolving contact: neither wa_id nor user_id")
			}
			out[i] = chat.ContactID(waIDs[i])
			continue
		}
		gets[i] = pipe.Get(ctx, r.userKey(userID))
	}
	if pipe.Len() == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store: resolving contacts: %w", err)
	}
	for i, get := range gets {
		if get == nil {
			continue
		}
		id, err := get.Result()
		switch {
		case err == nil && id != "":
			out[i] = chat.ContactID(id)
		case err != nil && !errors.Is(err, redis.Nil):
			return nil, fmt.Errorf("store: resolving contact: %w", err)
		case waIDs[i] != "":
			out[i] = chat.ContactID(waIDs[i])
		default:
			out[i] = chat.ContactID(userIDs[i])
		}
	}
	return out, nil
}

// contactsPage is how many contact ids Contacts asks for per SSCAN.
const contactsPage = 500

// Contacts calls fn once with the id of every contact ever committed, bucket by bucket,
// through the buckets' contact indexes: SSCAN of one bucket at a time, so the rest of the
// keyspace is never scanned and memory holds one bucket's ids at most (SSCAN may return an
// id twice; they are dropped). The order is the buckets' and is not sorted. A contact
// committed during the walk may or may not be seen. fn's error stops the walk and is
// returned.
func (r *Redis) Contacts(ctx context.Context, fn func(chat.ContactID) error) error {
	for b := range Buckets {
		key := r.bucketKey(b, "contacts")
		var cursor uint64
		seen := map[string]bool{}
		for {
			ids, next, err := r.client.SScan(ctx, key, cursor, "", contactsPage).Result()
			if err != nil {
				return fmt.Errorf("store: listing contacts: %w", err)
			}
			for _, id := range ids {
				if seen[id] {
					continue
				}
				seen[id] = true
				if err := fn(chat.ContactID(id)); err != nil {
					return err
				}
			}
			if next == 0 {
				break
			}
			cursor = next
		}
	}
	return nil
}
