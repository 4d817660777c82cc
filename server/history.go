package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasla/wasla/chat"
)

// storeHistory appends events that happen outside a flow run — a send that failed, a
// failed status webhook — to the contact's history through the engine (Engine.Record),
// which commits them with the contact's unchanged state like any other commit. It
// implements History and the sender's Recorder.
//
// Meta delivers a status webhook at least once, so a status event equal to one already
// recorded at the same time is not appended again.
type storeHistory struct {
	engine recorder
	read   historyReader // nil: no duplicate check
}

// recorder appends events to a contact's history; *engine.Engine has it.
type recorder interface {
	Record(ctx context.Context, id chat.ContactID, events ...chat.Event) error
}

// historyReader reads a contact's history in [from, to); *store.Redis has it.
type historyReader interface {
	History(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error
}

// errFound stops a history walk that found what it looked for.
var errFound = errors.New("found")

// Append records ev in the history of ev.Contact.
func (h *storeHistory) Append(ctx context.Context, ev chat.Event) error {
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
	if err := h.engine.Record(ctx, ev.Contact, ev); err != nil {
		return fmt.Errorf("appending to history: %w", err)
	}
	return nil
}

// RecordEvent is Append, for sending.Recorder.
func (h *storeHistory) RecordEvent(ctx context.Context, ev chat.Event) error {
	return h.Append(ctx, ev)
}
