package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// ErrNoDeadLetter means no dead letter has the id given (replayed or dropped meanwhile,
// or a wrong id).
var ErrNoDeadLetter = errors.New("no dead letter with this id")

// ErrNotReplayable means a dead letter's stored message does not decode: there is nothing
// to handle again; it can only be dropped.
var ErrNotReplayable = errors.New("dead letter cannot be replayed")

// ListedDeadLetter is a dead letter with the id that names it for replay and drop.
type ListedDeadLetter struct {
	// ID is "<bucket>.<8 hex digits of the record's SHA-256>": stable while the letter is
	// listed, and free of the customer's phone number.
	ID string `json:"id"`
	DeadLetter
	bucket int    // the bucket whose list holds it
	raw    string // the record as the list holds it, for LREM
}

func deadID(b int, raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return strconv.Itoa(b) + "." + hex.EncodeToString(sum[:4])
}

// ListDeadLetters calls fn with every dead letter and its id, as DeadLetters does.
func (q *Intake) ListDeadLetters(ctx context.Context, fn func(ListedDeadLetter) error) error {
	if q.err != nil {
		return q.err
	}
	for b := range Buckets {
		if err := q.deadOf(ctx, b, fn); err != nil {
			return err
		}
	}
	return nil
}

// deadOf calls fn with the dead letters of bucket b.
func (q *Intake) deadOf(ctx context.Context, b int, fn func(ListedDeadLetter) error) error {
	key := q.r.bucketKey(b, "dead")
	for start := int64(0); ; start += historyPage {
		raw, err := q.client.LRange(ctx, key, start, start+historyPage-1).Result()
		if err != nil {
			return fmt.Errorf("store: reading dead letters: %w", err)
		}
		for _, s := range raw {
			d := ListedDeadLetter{ID: deadID(b, s), bucket: b, raw: s}
			if err := json.Unmarshal([]byte(s), &d.DeadLetter); err != nil {
				d.DeadLetter = DeadLetter{Raw: s, Error: "the dead letter itself does not decode: " + err.Error()}
			}
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(raw) < historyPage {
			return nil
		}
	}
}

// DeadSummary is a dead letter as `wasla intake dead --json` shows it: the contact
// redacted unless asked for in full, the text cut to a preview.
type DeadSummary struct {
	ID       string    `json:"id"`
	Contact  string    `json:"contact,omitempty"`
	Number   string    `json:"number,omitempty"`
	Message  string    `json:"message,omitempty"` // the message id (wamid)
	Preview  string    `json:"preview,omitempty"`
	Error    string    `json:"error"`
	Attempts int       `json:"attempts,omitempty"`
	At       time.Time `json:"at"`
}

// Summary returns d as listed; fullContact keeps the contact id whole.
func (d ListedDeadLetter) Summary(fullContact bool) DeadSummary {
	m := d.Message
	out := DeadSummary{ID: d.ID, Number: string(m.Number), Message: m.ID, Error: d.Error, Attempts: d.Attempts, At: d.At}
	if m.Contact != "" {
		out.Contact = m.Contact.Redacted()
		if fullContact {
			out.Contact = string(m.Contact)
		}
	}
	switch {
	case m.ID == "":
		out.Preview = "[does not decode]"
	case m.Text == "" && m.Kind != "" && m.Kind != chat.KindText:
		out.Preview = "[" + string(m.Kind) + "]"
	default:
		out.Preview = preview(m.Text)
	}
	return out
}

// DeadCount returns how many dead letters are kept: one pipeline of LLENs.
func (q *Intake) DeadCount(ctx context.Context) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	n, err := sumBuckets(ctx, q.client, func(p redis.Pipeliner, b int) *redis.IntCmd {
		return p.LLen(ctx, q.r.bucketKey(b, "dead"))
	})
	if err != nil {
		return 0, fmt.Errorf("store: counting dead letters: %w", err)
	}
	return n, nil
}

// findDead resolves a dead letter's id.
func (q *Intake) findDead(ctx context.Context, id string) (ListedDeadLetter, error) {
	bs, _, _ := strings.Cut(id, ".")
	b, err := strconv.Atoi(bs)
	if err != nil || b < 0 || b >= Buckets {
		return ListedDeadLetter{}, fmt.Errorf("%w: %q is not an id of `wasla intake dead` (like 412.9f3a1c2e)", ErrNoDeadLetter, id)
	}
	var found *ListedDeadLetter
	errFound := errors.New("found")
	err = q.deadOf(ctx, b, func(d ListedDeadLetter) error {
		if d.ID == id {
			found = &d
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return ListedDeadLetter{}, err
	}
	if found == nil {
		return ListedDeadLetter{}, fmt.Errorf("%w: %s", ErrNoDeadLetter, id)
	}
	return *found, nil
}

// DropDeadLetter removes a dead letter for good.
func (q *Intake) DropDeadLetter(ctx context.Context, id string) (ListedDeadLetter, error) {
	if q.err != nil {
		return ListedDeadLetter{}, q.err
	}
	d, err := q.findDead(ctx, id)
	if err != nil {
		return d, err
	}
	return d, q.removeDead(ctx, d)
}

func (q *Intake) removeDead(ctx context.Context, d ListedDeadLetter) error {
	n, err := q.client.LRem(ctx, q.r.bucketKey(d.bucket, "dead"), 1, d.raw).Result()
	if err != nil {
		return fmt.Errorf("store: removing dead letter %s: %w", d.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", ErrNoDeadLetter, d.ID)
	}
	return nil
}

// ReplayDeadLetter queues a dead letter's message again at the end of its contact's
// intake, for the workers to handle like a new delivery, and then takes it off the list.
// A crash between the two leaves it listed as well as queued; replaying it again is then
// refused by the commit's duplicate check (the message id), so it is handled once. A
// letter whose message did not decode cannot be replayed: there is nothing to handle.
func (q *Intake) ReplayDeadLetter(ctx context.Context, id string) (ListedDeadLetter, error) {
	if q.err != nil {
		return ListedDeadLetter{}, q.err
	}
	d, err := q.findDead(ctx, id)
	if err != nil {
		return d, err
	}
	if d.Message.ID == "" || d.Message.Contact == "" {
		return d, fmt.Errorf("%w: the stored message does not decode (%s); drop it", ErrNotReplayable, d.Error)
	}
	if err := q.Push(ctx, []chat.Inbound{d.Message}); err != nil {
		return d, err
	}
	return d, q.removeDead(ctx, d)
}

// Backlog counts what is kept for an operator: the failed replies and the dead letters.
type Backlog struct {
	*Redis
	Intake *Intake
}

// DeadCount counts the dead letters.
func (b Backlog) DeadCount(ctx context.Context) (int64, error) { return b.Intake.DeadCount(ctx) }
