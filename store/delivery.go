package store

import (
	"context"
	"crypto/sha256"
	_ "embed"
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

var (
	// ErrNoFailed means no failed message has the id given (it was retried or dropped
	// meanwhile, or the id is wrong).
	ErrNoFailed = errors.New("no failed message with this id")
	// ErrWindowClosed means a failed free-form message cannot be sent again: the
	// customer's 24-hour window on its number has closed.
	ErrWindowClosed = errors.New("the customer's 24-hour window has closed")
)

// deliveryStatusScript applies a status webhook to a message's delivery state.
//
//go:embed delivery_status.lua
var deliveryStatusSource string
var deliveryStatusScript = redis.NewScript(deliveryStatusSource)

// failedRetryScript queues a failed message again.
//
//go:embed failed_retry.lua
var failedRetrySource string
var failedRetryScript = redis.NewScript(failedRetrySource)

// deliveryKey is the contact's delivery hash: entry id -> state record, w:<wamid> ->
// entry id, v:<wamid> -> entry id of a second copy, p:<wamid> -> a status waiting for the
// sender's record. It is named here, not in
// keysOf, because only the outbox and the status path touch it.
func (r *Redis) deliveryKey(id chat.ContactID) string {
	return r.prefix + ":" + bucketTag(bucket(id)) + ":c:" + string(id) + ":delivery"
}

// failedKey is bucket b's failed index: "<entry id> <contact id>" scored by when it failed.
func (r *Redis) failedKey(b int) string { return r.bucketKey(b, "ofailed") }

// keepArg is how long a delivery hash outlives its last write, in ms, as the scripts take
// it: the history's retention, empty when the history is kept for ever.
func (r *Redis) keepArg() string {
	if r.retention <= 0 {
		return ""
	}
	return strconv.FormatInt(r.retention.Milliseconds(), 10)
}

// stateRecord encodes d as the delivery hash holds it: "<state>|<JSON>", so the scripts
// compare states without decoding JSON. The record is kept short, so that the hash stays a
// listpack (Redis converts a hash to a table, at several times the memory, once a value is
// longer than hash-max-listpack-value, 64 bytes by default): the state is written once, in
// the prefix; the wamid lives in the w:<wamid> field only; the number, in the reply's
// history event. A failed record keeps both, for the failed list, and may be longer:
// failures are rare.
func stateRecord(d chat.Delivery) string {
	state := d.State
	d.State = ""
	if state != chat.StateFailed {
		d.Wamid, d.Number = "", ""
	}
	b, _ := json.Marshal(d) // a chat.Delivery always encodes
	return string(state) + "|" + string(b)
}

// wamidField is how a wamid is written in the delivery hash's field names (w:<…>, p:<…>):
// without Meta's "wamid." prefix, marked "~", so that a field stays within the 64 bytes of a
// listpack value even for the 64-character wamids of 12-digit phone numbers.
func wamidField(wamid string) string {
	if rest, ok := strings.CutPrefix(wamid, "wamid."); ok && rest != "" {
		return "~" + rest
	}
	return wamid
}

// wamidOf reverses wamidField.
func wamidOf(field string) string {
	if rest, ok := strings.CutPrefix(field, "~"); ok {
		return "wamid." + rest
	}
	return field
}

func parseStateRecord(s string) (chat.Delivery, error) {
	var d chat.Delivery
	state, js, ok := strings.Cut(s, "|")
	if !ok {
		return d, fmt.Errorf("delivery state %q: no state prefix", s)
	}
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		return d, fmt.Errorf("delivery state: %w", err)
	}
	d.State = chat.DeliveryState(state)
	return d, nil
}

// StatusResult says what a status webhook did to a delivery state.
type StatusResult int

const (
	// StatusUnknown: the outbox did not send the message (a campaign, another tool, or a
	// message older than the delivery states); nothing recorded.
	StatusUnknown StatusResult = iota
	// StatusApplied: the message's state moved forward.
	StatusApplied
	// StatusWaiting: the status overtook the sender's record of Meta's answer; the sender
	// merges it.
	StatusWaiting
	// StatusStale: the message's state was already as far (a late or repeated status).
	StatusStale
	// StatusCopy: the status is the first news of a second copy of a reply: an attempt
	// whose answer was lost with its process reached Meta after all, beside the attempt
	// recorded. Its wamid now belongs to the reply, whose state its statuses move too.
	StatusCopy
	// StatusSettled: the status names a reply's last attempt, whose answer was lost with
	// its process: Meta has the reply, which is recorded with this status and leaves the
	// outbox, so that nobody sends it again.
	StatusSettled
)

// replyCallbackPrefix marks the callback data of the outbox's replies (campaign sends
// have their own, audience.Attempt.CallbackData).
const replyCallbackPrefix = "wasla.r1|"

// ReplyCallback is the callback data (Meta's biz_opaque_callback_data, echoed in every
// status webhook of the message) an outbox reply is sent with: the attempt and the history
// entry, "wasla.r1|<attempt>|<entry id>". An attempt whose answer was lost with its process
// has no wamid on record; the callback data is how its status webhooks still find the reply
// (ApplyReplyDelivery), which tells a reply that reached Meta twice from one that did not.
func ReplyCallback(entry string, attempt int) string {
	return replyCallbackPrefix + strconv.Itoa(attempt) + "|" + entry
}

// ParseReplyCallback reads callback data written by ReplyCallback; ok is false for any
// other text (a campaign's or another system's callback data).
func ParseReplyCallback(s string) (entry string, attempt int, ok bool) {
	rest, ok := strings.CutPrefix(s, replyCallbackPrefix)
	if !ok {
		return "", 0, false
	}
	n, entry, found := strings.Cut(rest, "|")
	if !found || !validEntryID(entry) {
		return "", 0, false
	}
	attempt, err := strconv.Atoi(n)
	if err != nil || attempt < 1 || strconv.Itoa(attempt) != n {
		return "", 0, false
	}
	return entry, attempt, true
}

// validEntryID reports whether s has the shape of a history entry id, "<ms>-<seq>".
func validEntryID(s string) bool {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok || ms == "" || seq == "" || len(s) > 40 {
		return false
	}
	for _, r := range ms + seq {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ApplyDelivery records a status webhook's state d (with d.Wamid) for the outbound message
// of the contact Meta names by that wamid, unless its state is already as far: one round
// trip. It returns what it did and the message's history entry id when known.
func (r *Redis) ApplyDelivery(ctx context.Context, id chat.ContactID, d chat.Delivery) (StatusResult, string, error) {
	return r.ApplyReplyDelivery(ctx, id, d, "", 0)
}

// ApplyReplyDelivery is ApplyDelivery for a status whose callback data names the reply and
// the attempt (ParseReplyCallback): a wamid not on record whose reply is recorded sent (or
// failed) by another attempt is a second copy; it is adopted (StatusCopy), once, and the
// reply's state moves with it. One that names the reply's last attempt, unanswered, settles
// the reply (StatusSettled), or, while that attempt's lease still holds, notes that Meta
// accepted it, for the next claim to settle instead of sending again. entry "" is
// ApplyDelivery.
func (r *Redis) ApplyReplyDelivery(ctx context.Context, id chat.ContactID, d chat.Delivery, entry string, attempt int) (StatusResult, string, error) {
	if d.Wamid == "" || d.State.Rank() < 0 {
		return StatusUnknown, "", fmt.Errorf("store: delivery status %q without wamid or with an unknown state", d.State)
	}
	k := r.keysOf(id)
	res, err := deliveryStatusScript.Run(ctx, r.client,
		[]string{r.deliveryKey(id), k.outbox, r.failedKey(bucket(id)), k.ostate, k.olease, k.outq},
		wamidField(d.Wamid), stateRecord(d), string(id), r.clock.Now().UnixMilli(), r.keepArg(), entry, attempt).Slice()
	if err != nil {
		return StatusUnknown, "", fmt.Errorf("store: applying a delivery status: %w", err)
	}
	code, _ := intAt(res, 0)
	entry, _ = stringAt(res, 1)
	switch code {
	case 1:
		return StatusApplied, entry, nil
	case 2:
		return StatusWaiting, "", nil
	case 3:
		return StatusStale, entry, nil
	case 4:
		return StatusCopy, entry, nil
	case 5:
		return StatusSettled, entry, nil
	}
	return StatusUnknown, "", nil
}

// DeliveryStates returns the delivery state of each of the contact's outbound messages
// that has one, by history entry id: the recorded ones, and queued for those still in the
// outbox. One round trip; its size is the contact's, not the whole history's.
func (r *Redis) DeliveryStates(ctx context.Context, id chat.ContactID) (map[string]chat.Delivery, error) {
	var all *redis.MapStringStringCmd
	var queued *redis.StringSliceCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		all = p.HGetAll(ctx, r.deliveryKey(id))
		queued = p.LRange(ctx, r.keysOf(id).outbox, 0, -1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reading delivery states: %w", err)
	}
	out := make(map[string]chat.Delivery, len(all.Val()))
	wamids := map[string]string{} // entry id -> wamid
	for field, v := range all.Val() {
		if f, ok := strings.CutPrefix(field, "w:"); ok {
			wamids[v] = wamidOf(f)
			continue
		}
		if strings.HasPrefix(field, "p:") || strings.HasPrefix(field, "v:") || strings.HasPrefix(field, "c:") {
			continue // a waiting status; a second copy's wamid (the recorded one is shown); an accepted attempt
		}
		d, err := parseStateRecord(v)
		if err != nil {
			return nil, fmt.Errorf("store: entry %s: %w", field, err)
		}
		out[field] = d
	}
	for entry, wamid := range wamids {
		if d, ok := out[entry]; ok && d.Wamid == "" {
			d.Wamid = wamid
			out[entry] = d
		}
	}
	for _, e := range queued.Val() {
		entry, _, _ := strings.Cut(e, " ")
		if _, ok := out[entry]; !ok {
			out[entry] = chat.Delivery{State: chat.StateQueued}
		}
	}
	return out, nil
}

// FailedMessage is an outbound message given up, as `wasla outbox failed` lists it.
type FailedMessage struct {
	// ID names it for retry and drop: "<bucket>.<entry id>.<8 hex digits of the contact's
	// SHA-256>", so that it can be typed and logged without the customer's phone number.
	ID      string         `json:"id"`
	Contact chat.ContactID `json:"contact"`
	Entry   string         `json:"entry"`
	// Failed is when it failed (the time it entered the list).
	Failed   time.Time     `json:"failed"`
	Delivery chat.Delivery `json:"delivery"`
	// Message is what was to be sent, from the history; nil when the history entry is gone
	// (trimmed by the retention).
	Message *chat.Outbound `json:"message,omitempty"`
}

// FailedID is the id of the failed message of contact id at history entry entry.
func FailedID(id chat.ContactID, entry string) string {
	sum := sha256.Sum256([]byte(id))
	return strconv.Itoa(bucket(id)) + "." + entry + "." + hex.EncodeToString(sum[:4])
}

// FailedMessages calls fn with every failed message, oldest failure first in each bucket.
// It reads the failed index of every bucket in one pipeline, then each message's state
// and history entry as it comes to it; fn's error stops the walk.
func (r *Redis) FailedMessages(ctx context.Context, fn func(FailedMessage) error) error {
	cmds := make([]*redis.ZSliceCmd, Buckets)
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := range Buckets {
			cmds[b] = p.ZRangeWithScores(ctx, r.failedKey(b), 0, -1)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: reading failed messages: %w", err)
	}
	for _, c := range cmds {
		for _, z := range c.Val() {
			f, err := r.failedMessage(ctx, z.Member.(string), z.Score)
			if err != nil {
				return err
			}
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// FailedCount returns how many failed messages are listed: one pipeline of ZCARDs.
func (r *Redis) FailedCount(ctx context.Context) (int64, error) {
	n, err := sumBuckets(ctx, r.client, func(p redis.Pipeliner, b int) *redis.IntCmd {
		return p.ZCard(ctx, r.failedKey(b))
	})
	if err != nil {
		return 0, fmt.Errorf("store: counting failed messages: %w", err)
	}
	return n, nil
}

// sumBuckets adds up one count per bucket, read in one pipeline.
func sumBuckets(ctx context.Context, c redis.UniversalClient, count func(p redis.Pipeliner, b int) *redis.IntCmd) (int64, error) {
	cmds := make([]*redis.IntCmd, Buckets)
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := range Buckets {
			cmds[b] = count(p, b)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, cmd := range cmds {
		n += cmd.Val()
	}
	return n, nil
}

// failedMessage reads the failed index member ("<entry id> <contact id>") scored at ms.
func (r *Redis) failedMessage(ctx context.Context, member string, ms float64) (FailedMessage, error) {
	entry, cid, _ := strings.Cut(member, " ")
	id := chat.ContactID(cid)
	f := FailedMessage{ID: FailedID(id, entry), Contact: id, Entry: entry, Failed: time.UnixMilli(int64(ms)).UTC()}
	v, err := r.client.HGet(ctx, r.deliveryKey(id), entry).Result()
	switch {
	case err == nil:
		if f.Delivery, err = parseStateRecord(v); err != nil {
			return f, fmt.Errorf("store: failed message %s: %w", f.ID, err)
		}
	case errors.Is(err, redis.Nil):
		f.Delivery = chat.Delivery{State: chat.StateFailed}
	default:
		return f, fmt.Errorf("store: reading failed message %s: %w", f.ID, err)
	}
	ev, ok, err := r.historyEntry(ctx, id, entry)
	if err != nil {
		return f, fmt.Errorf("store: reading failed message %s: %w", f.ID, err)
	}
	if ok {
		f.Message = ev.Outbound
	}
	return f, nil
}

// findFailed resolves a failed message's id to its index member.
func (r *Redis) findFailed(ctx context.Context, fid string) (FailedMessage, string, error) {
	parts := strings.Split(fid, ".")
	b, err := strconv.Atoi(parts[0])
	if len(parts) != 3 || err != nil || b < 0 || b >= Buckets {
		return FailedMessage{}, "", fmt.Errorf("%w: %q is not an id of `wasla outbox failed` (like 412.1764650000000-0.9f3a1c2e)", ErrNoFailed, fid)
	}
	members, err := r.client.ZRangeWithScores(ctx, r.failedKey(b), 0, -1).Result()
	if err != nil {
		return FailedMessage{}, "", fmt.Errorf("store: reading failed messages: %w", err)
	}
	for _, z := range members {
		m := z.Member.(string)
		entry, cid, _ := strings.Cut(m, " ")
		if entry == parts[1] && FailedID(chat.ContactID(cid), entry) == fid {
			f, err := r.failedMessage(ctx, m, z.Score)
			return f, m, err
		}
	}
	return FailedMessage{}, "", fmt.Errorf("%w: %s", ErrNoFailed, fid)
}

// DropFailed takes a failed message off the list; its history and failed state stay.
func (r *Redis) DropFailed(ctx context.Context, fid string) (FailedMessage, error) {
	f, member, err := r.findFailed(ctx, fid)
	if err != nil {
		return f, err
	}
	n, err := r.client.ZRem(ctx, r.failedKey(bucket(f.Contact)), member).Result()
	if err != nil {
		return f, fmt.Errorf("store: dropping failed message %s: %w", fid, err)
	}
	if n == 0 {
		return f, fmt.Errorf("%w: %s", ErrNoFailed, fid)
	}
	return f, nil
}

// RetryFailed queues a failed message again in its contact's outbox, under its history
// entry, its state back to queued; the outbox senders send it like any reply. A free-form
// message whose 24-hour window has closed is refused with ErrWindowClosed (a template may
// always be sent), and so is one whose history entry is gone.
func (r *Redis) RetryFailed(ctx context.Context, fid string) (FailedMessage, error) {
	f, member, err := r.findFailed(ctx, fid)
	if err != nil {
		return f, err
	}
	if f.Message == nil {
		return f, fmt.Errorf("store: failed message %s: its history entry is gone (history retention), so there is nothing to send again", fid)
	}
	now := r.clock.Now()
	if f.Message.Kind != chat.KindTemplate {
		st, err := r.Load(ctx, f.Contact)
		if err != nil {
			return f, err
		}
		opened, ok := st.Contact.Windows[f.Message.From]
		if f.Message.From == "" {
			for _, t := range st.Contact.Windows {
				if t.After(opened) {
					opened, ok = t, true
				}
			}
		}
		if !ok || !now.Before(opened.Add(chat.ServiceWindow)) {
			return f, fmt.Errorf("%w: the customer last wrote %s, so only an approved template can reach them now", ErrWindowClosed, lastWrote(ok, opened))
		}
	}
	msg, err := json.Marshal(f.Message)
	if err != nil {
		return f, fmt.Errorf("store: failed message %s: %w", fid, err)
	}
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	k := r.keysOf(f.Contact)
	queued := chat.Delivery{State: chat.StateQueued, Number: f.Message.From, At: now.UTC()}
	ok, err := failedRetryScript.Run(ctx, r.client, []string{r.failedKey(bucket(f.Contact)), r.deliveryKey(f.Contact), k.outbox, k.outq},
		member, f.Entry, f.Entry+" "+ms+" "+string(msg), stateRecord(queued), string(f.Contact), ms).Int()
	if err != nil {
		return f, fmt.Errorf("store: retrying failed message %s: %w", fid, err)
	}
	if ok == 0 {
		return f, fmt.Errorf("%w: %s", ErrNoFailed, fid)
	}
	f.Delivery = queued
	return f, nil
}

func lastWrote(ok bool, at time.Time) string {
	if !ok {
		return "never to this number"
	}
	return "at " + at.UTC().Format("2006-01-02 15:04 MST")
}

// FailedSummary is a failed message as `wasla outbox failed --json` and GET
// /api/outbox/failed show it: the contact redacted unless asked for in full, the text cut
// to a preview.
type FailedSummary struct {
	ID         string        `json:"id"`
	Contact    string        `json:"contact"`
	Number     chat.NumberID `json:"number,omitempty"`
	Failed     time.Time     `json:"failed"`
	ErrorCode  int           `json:"error_code,omitempty"`
	ErrorClass string        `json:"error_class,omitempty"`
	ErrorTitle string        `json:"error_title,omitempty"`
	Kind       chat.Kind     `json:"kind,omitempty"`
	Preview    string        `json:"preview"`
}

// previewRunes is how much of a failed message's text a summary shows.
const previewRunes = 60

// Summary returns f as listed; fullContact keeps the contact id whole.
func (f FailedMessage) Summary(fullContact bool) FailedSummary {
	s := FailedSummary{ID: f.ID, Contact: f.Contact.Redacted(), Number: f.Delivery.Number, Failed: f.Failed,
		ErrorCode: f.Delivery.ErrorCode, ErrorClass: f.Delivery.ErrorClass, ErrorTitle: f.Delivery.ErrorTitle}
	if fullContact {
		s.Contact = string(f.Contact)
	}
	if m := f.Message; m != nil {
		s.Kind = m.Kind
		if s.Number == "" {
			s.Number = m.From
		}
		text := m.Text
		if m.Template != nil && text == "" {
			text = "[template " + m.Template.Name + "]"
		}
		s.Preview = preview(text)
	} else {
		s.Preview = "[gone from the history]"
	}
	return s
}

// preview cuts text to previewRunes runes on one line.
func preview(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > previewRunes {
		return string(r[:previewRunes-1]) + "…"
	}
	return text
}
