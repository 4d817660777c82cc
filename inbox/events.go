package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// EventType names what an Event carries.
type EventType string

// Event types.
const (
	EventConversation EventType = "conversation" // a record changed: Conversation holds it
	EventMessage      EventType = "message"      // a history entry: Message holds it
	EventNote         EventType = "note"         // an internal note: Note holds it
	EventDelivery     EventType = "delivery"     // a reply's delivery state moved: Entry and Delivery hold it
)

// Event is one entry of the inbox's live stream. Its ID is the Redis Stream entry id, which
// the Server-Sent Events carry as their id, so a reconnect resumes after it.
type Event struct {
	ID           string         `json:"id,omitempty"`
	Type         EventType      `json:"type"`
	Contact      chat.ContactID `json:"contact"`
	Queue        string         `json:"queue"`
	Conversation *Conversation  `json:"conversation,omitempty"`
	Message      *chat.Event    `json:"message,omitempty"`
	Note         *Note          `json:"note,omitempty"`
	// Entry is the history entry id of the reply a delivery event is about (the id the
	// thread's events carry).
	Entry    string         `json:"entry,omitempty"`
	Delivery *chat.Delivery `json:"delivery,omitempty"`
}

// DeliveryChanged tells the agents following the contact's thread that the reply stored
// under history entry entry reached state d, so that its ticks move without a reload. The
// server calls it when a status webhook moved a state forward. Only conversations the
// inbox holds are followed: for any other contact it costs one read and publishes nothing.
func (ib *Inbox) DeliveryChanged(ctx context.Context, id chat.ContactID, entry string, d chat.Delivery) error {
	if entry == "" {
		return nil
	}
	c, err := ib.rec.get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return ib.rec.publish(ctx, Event{Type: EventDelivery, Contact: c.Contact, Queue: c.Queue, Entry: entry, Delivery: &d})
}

// streamLength is about how many events the stream keeps (trimmed approximately): far more
// than an agent misses in a reconnect, far less than memory worth minding.
const streamLength = 100_000

func (r *records) publish(ctx context.Context, evs ...Event) error {
	if len(evs) == 0 {
		return nil
	}
	pipe := r.rdb.Pipeline()
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encoding inbox event: %w", err)
		}
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: r.eventsKey(), MaxLen: streamLength, Approx: true, Values: []any{"e", b}})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("publishing inbox events: %w", err)
	}
	return nil
}

// lastEventID returns the id of the newest event, "0-0" when there is none: a client that
// read a list resumes the stream after it and misses nothing that changed since.
func (r *records) lastEventID(ctx context.Context) (string, error) {
	msgs, err := r.rdb.XRevRangeN(ctx, r.eventsKey(), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("reading inbox events: %w", err)
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}

// readEvents returns the events after id, waiting up to block for one to come. It returns
// no events and no error when the wait ended empty.
func (r *records) readEvents(ctx context.Context, after string, block time.Duration) ([]Event, error) {
	res, err := r.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{r.eventsKey(), after}, Count: 200, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading inbox events: %w", err)
	}
	var out []Event
	for _, s := range res {
		for _, m := range s.Messages {
			raw, _ := m.Values["e"].(string)
			var ev Event
			if err := json.Unmarshal([]byte(raw), &ev); err != nil {
				return nil, fmt.Errorf("decoding inbox event %s: %w", m.ID, err)
			}
			ev.ID = m.ID
			out = append(out, ev)
		}
	}
	return out, nil
}
