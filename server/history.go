package server

import (
	"context"
	"errors"
	"fmt"

	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// storeHistory appends events that happen outside a flow run — a send that failed, a
// failed status webhook — to the contact's history through the engine (Engine.Record),
// which commits them with the contact's unchanged state like any other commit. It
// implements History and the sender's Recorder.
//
// Meta delivers a status webhook at least once, so a status event equal to one already
// recorded is not appended again. The check is one mark per status event (seen), not a
// read of the history: a walk from the status's time to the end of the stream made a POST
// of a thousand statuses quadratic in the history's length.
type storeHistory struct {
	engine recorder
	seen   marks // nil: no duplicate check
}

// recorder appends events to a contact's history; *engine.Engine has it.
type recorder interface {
	Record(ctx context.Context, id chat.ContactID, events ...chat.Event) error
}

// marks remembers keys for a while; redisMarks has it.
type marks interface {
	// First sets key and reports whether it was not set before.
	First(ctx context.Context, key string) (bool, error)
}

// Append records ev in the history of ev.Contact.
func (h *storeHistory) Append(ctx context.Context, ev chat.Event) error {
	if ev.Contact == "" {
		return errors.New("appending to history: event without contact")
	}
	if h.seen != nil && ev.Kind == chat.EventStatus && !ev.At.IsZero() {
		first, err := h.seen.First(ctx, statusMark(ev))
		if err != nil {
			return fmt.Errorf("appending to history: %w", err)
		}
		if !first {
			return nil
		}
	}
	if err := h.engine.Record(ctx, ev.Contact, ev); err != nil {
		return fmt.Errorf("appending to history: %w", err)
	}
	return nil
}

// statusMark names a status event for the duplicate check: the same contact, number,
// time and detail is the same status delivered again.
func statusMark(ev chat.Event) string {
	sum := sha256.Sum256([]byte(string(ev.Contact) + "\x00" + string(ev.Number) + "\x00" +
		strconv.FormatInt(ev.At.UnixNano(), 10) + "\x00" + ev.Detail))
	return hex.EncodeToString(sum[:16])
}

// redisMarks keeps marks as keys with an expiry: one SET NX per status.
type redisMarks struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// First sets the mark unless it exists.
func (m redisMarks) First(ctx context.Context, key string) (bool, error) {
	ok, err := m.client.SetNX(ctx, m.prefix+":status-seen:"+key, 1, m.ttl).Result()
	if err != nil {
		return false, fmt.Errorf("marking a status seen: %w", err)
	}
	return ok, nil
}

// RecordEvent is Append, for sending.Recorder.
func (h *storeHistory) RecordEvent(ctx context.Context, ev chat.Event) error {
	return h.Append(ctx, ev)
}
