package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// historyPage is how many entries History reads per round trip; memory stays flat whatever
// the size of the history.
const historyPage = 500

// History calls fn with the contact's history entries whose time is in [from, to), oldest
// first, reading the history in pages. A zero from means from the beginning, a zero to means
// up to the end. fn's error stops the walk and is returned.
//
// Entry ids follow the event times and never decrease, so entries whose id is before from's
// millisecond are skipped without decoding. An event older than its predecessor carries the
// predecessor's id time, so the walk reads to the end and filters on the event's own time.
//
// The history is a list ("<entry id> <event JSON>"); a contact whose history was written as
// a stream before, and grew too long to be converted by its next commit, is read from the
// stream.
func (r *Redis) History(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error {
	return r.history(ctx, id, from, to, func(_ string, ev chat.Event) error { return fn(ev) })
}

// HistoryWithDelivery is History for the export: each event carries its entry id (ID) and
// each outbound or agent event its delivery state (Delivery; nil when none is known, for
// a message sent before the states were recorded or by the engine without an outbox). The
// states are read first, in one round trip; they take memory in proportion to the
// contact's outbound messages, the events none.
func (r *Redis) HistoryWithDelivery(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error {
	states, err := r.DeliveryStates(ctx, id)
	if err != nil {
		return err
	}
	return r.history(ctx, id, from, to, func(entry string, ev chat.Event) error {
		ev.ID = entry
		if ev.Kind == chat.EventOutbound || ev.Kind == chat.EventAgent {
			if d, ok := states[entry]; ok {
				ev.Delivery = &d
			}
		}
		return fn(ev)
	})
}

func (r *Redis) history(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(string, chat.Event) error) error {
	key := r.keysOf(id).history
	// visit decodes an entry and hands it to fn when its time is in the range.
	visit := func(entryID, raw string) error {
		ev, err := decodeEvent(id, entryID, raw)
		if err != nil {
			return err
		}
		if (!from.IsZero() && ev.At.Before(from)) || (!to.IsZero() && !ev.At.Before(to)) {
			return nil
		}
		return fn(entryID, ev)
	}
	fromMS := int64(-1)
	if !from.IsZero() {
		fromMS = max(from.UnixMilli(), 0)
	}
	for start := int64(0); ; start += historyPage {
		entries, err := r.client.LRange(ctx, key, start, start+historyPage-1).Result()
		if err != nil {
			if start == 0 && redis.HasErrorPrefix(err, "WRONGTYPE") {
				return r.streamHistory(ctx, key, from, visit)
			}
			return fmt.Errorf("store: reading history: %w", err)
		}
		for _, e := range entries {
			entryID, raw, ok := strings.Cut(e, " ")
			if !ok {
				return fmt.Errorf("store: history entry %.40q has no id", e)
			}
			if fromMS >= 0 {
				ms, _, _ := strings.Cut(entryID, "-")
				if n, err := strconv.ParseInt(ms, 10, 64); err == nil && n < fromMS {
					continue
				}
			}
			if err := visit(entryID, raw); err != nil {
				return err
			}
		}
		if len(entries) < historyPage {
			return nil
		}
	}
}

// streamHistory is History over a history stream, the layout before lists.
func (r *Redis) streamHistory(ctx context.Context, key string, from time.Time, visit func(entryID, raw string) error) error {
	start := "-"
	if !from.IsZero() {
		start = strconv.FormatInt(max(from.UnixMilli(), 0), 10)
	}
	for {
		msgs, err := r.client.XRangeN(ctx, key, start, "+", historyPage).Result()
		if err != nil {
			return fmt.Errorf("store: reading history: %w", err)
		}
		for _, m := range msgs {
			raw, ok := m.Values["e"].(string)
			if !ok {
				return fmt.Errorf("store: history entry %s has no event", m.ID)
			}
			if err := visit(m.ID, raw); err != nil {
				return err
			}
		}
		if len(msgs) < historyPage {
			return nil
		}
		start = "(" + msgs[len(msgs)-1].ID // exclusive start, Redis 6.2 and later
	}
}

// storedEvent is ev as the history keeps it: without what the key and the event already
// say — the contact (the key's), the inbound message's contact and number (the event's)
// and the reply's recipient (the contact). A history entry is the largest part of an idle
// contact's memory, and these ids were a tenth of it. decodeEvent puts them back.
func storedEvent(ev chat.Event) chat.Event {
	id := ev.Contact
	ev.Contact = ""
	if in := ev.Inbound; in != nil && (in.Contact == id || in.Contact == "") && (in.Number == ev.Number || in.Number == "") {
		c := *in
		c.Contact, c.Number = "", ""
		ev.Inbound = &c
	}
	if out := ev.Outbound; out != nil && out.To == id {
		c := *out
		c.To = ""
		ev.Outbound = &c
	}
	return ev
}

// emptyIDs are the members storedEvent empties, as encoding/json writes them (their tags
// have no omitempty). Inside a JSON string a quote is escaped, so these bytes only occur
// as a member whose value is the empty string, which decodes the same when left out.
var emptyIDs = [][]byte{[]byte(`"contact":"",`), []byte(`"number":"",`), []byte(`"to":"",`)}

// marshalStored encodes ev as the history keeps it.
func marshalStored(ev chat.Event) ([]byte, error) {
	b, err := json.Marshal(storedEvent(ev))
	if err != nil {
		return nil, err
	}
	for _, m := range emptyIDs {
		b = bytes.ReplaceAll(b, m, nil)
	}
	return b, nil
}

// decodeEvent reads a history entry of contact id, written by storedEvent or, before it,
// whole.
func decodeEvent(id chat.ContactID, entryID, raw string) (chat.Event, error) {
	var ev chat.Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		return ev, fmt.Errorf("store: history entry %s: %w", entryID, err)
	}
	if ev.Contact == "" {
		ev.Contact = id
	}
	if in := ev.Inbound; in != nil {
		if in.Contact == "" {
			in.Contact = id
		}
		if in.Number == "" {
			in.Number = ev.Number
		}
	}
	if out := ev.Outbound; out != nil && out.To == "" {
		out.To = id
	}
	return ev, nil
}
