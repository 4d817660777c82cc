package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// historyEntry reads one history entry by its id, for the failed-message commands: those
// are an operator's, rare, and name recent entries, so the list is walked from its newest
// end a page at a time rather than kept indexed on every commit. A history still written as
// a stream is read with XRANGE. ok is false when the entry is gone (history retention).
func (r *Redis) historyEntry(ctx context.Context, id chat.ContactID, entry string) (chat.Event, bool, error) {
	key := r.keysOf(id).history
	prefix := entry + " "
	for end := int64(-1); ; end -= historyPage {
		entries, err := r.client.LRange(ctx, key, end-historyPage+1, end).Result()
		if err != nil {
			if end == -1 && redis.HasErrorPrefix(err, "WRONGTYPE") {
				return r.streamEntry(ctx, id, key, entry)
			}
			return chat.Event{}, false, fmt.Errorf("store: reading history: %w", err)
		}
		for i := len(entries) - 1; i >= 0; i-- {
			if raw, ok := strings.CutPrefix(entries[i], prefix); ok {
				ev, err := decodeEvent(id, entry, raw)
				return ev, err == nil, err
			}
		}
		if len(entries) < historyPage {
			return chat.Event{}, false, nil
		}
	}
}

func (r *Redis) streamEntry(ctx context.Context, id chat.ContactID, key, entry string) (chat.Event, bool, error) {
	msgs, err := r.client.XRange(ctx, key, entry, entry).Result()
	if err != nil {
		return chat.Event{}, false, fmt.Errorf("store: reading history: %w", err)
	}
	if len(msgs) != 1 {
		return chat.Event{}, false, nil
	}
	raw, ok := msgs[0].Values["e"].(string)
	if !ok {
		return chat.Event{}, false, fmt.Errorf("store: history entry %s has no event", entry)
	}
	ev, err := decodeEvent(id, entry, raw)
	return ev, err == nil, err
}
