package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/engine"
)

// appendAttempts bounds the retries of an append that met a concurrent commit.
const appendAttempts = 5

// storeHistory appends events that happen outside a flow run — a send that failed, a
// failed status webhook — to the contact's history through the engine's store: the
// contact's state is committed unchanged with the event, so the append is one atomic
// commit like any other and keeps the contact's version order. It implements History
// and the sender's Recorder.
//
// Meta delivers a status webhook at least once, so a status event equal to one already
// recorded at the same time is not appended again.
type storeHistory struct {
	store engine.Store
	read  historyReader // nil: no duplicate check
}

// historyReader reads a contact's history in [from, to); *store.Redis has it.
type historyReader interface {
	History(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error
}

// errFound stops a history walk that found what it looked for.
var errFound = errors.New("found")

// Append records ev in the history of ev.Contact.
func (h storeHistory) Append(ctx context.Context, ev chat.Event) error {
	if ev.Contact == "" {
		return errors.New("appending to history: event without contact")
	}
	if h.read != nil && ev.Kind == chat.EventStatus && !ev.At.IsZero() {
		err := h.read.History(ctx, ev.Contact, ev.At, ev.At.Add(time.Millisecond), func(old chat.Event) error {
			if old.Kind == ev.Kind && old.Detail == ev.Detail && old.Number == ev.Number {
				return errFound
			}
			return nil
		})
		if errors.Is(err, errFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("appending to history: %w", err)
		}
	}
	for attempt := 1; ; attempt++ {
		st, err := h.store.Load(ctx, ev.Contact)
		if err != nil {
			return fmt.Errorf("appending to history: %w", err)
		}
		err = h.store.Commit(ctx, st, []chat.Event{ev})
		if errors.Is(err, contact.ErrConflict) && attempt < appendAttempts {
			continue
		}
		if err != nil {
			return fmt.Errorf("appending to history: %w", err)
		}
		return nil
	}
}

// RecordEvent is Append, for sending.Recorder.
func (h storeHistory) RecordEvent(ctx context.Context, ev chat.Event) error { return h.Append(ctx, ev) }
