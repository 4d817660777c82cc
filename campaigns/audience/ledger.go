package audience

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// ErrNotClaimed means a pair could not be claimed: it is not in the audience, another
// attempt is in flight, it was sent or failed for good, or its retry is not due yet.
var ErrNotClaimed = errors.New("pair not claimable")

// Kind is the stage of a (campaign, contact) pair's send state.
type Kind byte

// Kinds, as stored in the first byte of a send state. A pair with no state is pending.
const (
	Pending  Kind = 0
	Claimed  Kind = 'c' // an attempt is in flight under a lease
	Unknown  Kind = 'u' // the lease ran out with no answer; a status webhook may still tell
	Sent     Kind = 's' // Meta accepted it (and later delivered or read it)
	Retrying Kind = 'r' // it failed and will be tried again when due
	Failed   Kind = 'f' // it failed for good
)

// State is a pair's send state, stored as "kind|attempt|number|time|rest": rest is the
// claim's owner (c), the wamid and the status level (s: "wamid|1..3"), or the error code (r
// and f); time is the claim, answer or failure time, or for r the time the retry is due.
type State struct {
	Kind    Kind
	Attempt int
	Number  chat.NumberID
	At      time.Time
	Rest    string
}

// ParseState reads a stored state; "" is Pending.
func ParseState(s string) (State, error) {
	if s == "" {
		return State{}, nil
	}
	parts := strings.SplitN(s, "|", 5)
	if len(parts) < 4 || len(parts[0]) != 1 {
		return State{}, fmt.Errorf("send state %q is malformed", s)
	}
	attempt, err1 := strconv.Atoi(parts[1])
	ms, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return State{}, fmt.Errorf("send state %q is malformed: %w", s, err)
	}
	st := State{Kind: Kind(parts[0][0]), Attempt: attempt, Number: chat.NumberID(parts[2]), At: time.UnixMilli(ms)}
	if len(parts) == 5 {
		st.Rest = parts[4]
	}
	return st, nil
}

// Claim reserves the pair (campaign, contact) for one send attempt from number, in one
// atomic script: the pair must be in the audience and pending, or waiting for a retry
// that is due at now. The claim holds for lease; Sweep turns a claim whose lease ran out
// into Unknown. owner names the claimant (a replica and worker) for diagnosis. It returns
// the attempt number (1 for the first) or an error wrapping ErrNotClaimed.
func (s *Redis) Claim(ctx context.Context, contact chat.ContactID, number chat.NumberID, owner string, now time.Time, lease time.Duration) (int, error) {
	res, err := claimScript.Run(ctx, s.client, []string{s.k.send, s.k.inflight, s.k.retry, s.k.aud, s.k.numbers},
		string(contact), string(number), owner, now.UnixMilli(), lease.Milliseconds()).Slice()
	if err != nil {
		return 0, fmt.Errorf("claiming contact %s of campaign %q: %w", contact.Redacted(), s.campaign, err)
	}
	attempt, _ := res[0].(int64)
	if attempt == 0 {
		state, _ := res[1].(string)
		return 0, fmt.Errorf("%w: contact %s of campaign %q is %s", ErrNotClaimed, contact.Redacted(), s.campaign, describe(state))
	}
	return int(attempt), nil
}

func describe(state string) string {
	if state == "absent" {
		return "not in the audience"
	}
	st, err := ParseState(state)
	if err != nil {
		return state
	}
	switch st.Kind {
	case Claimed:
		return "being sent"
	case Unknown:
		return "awaiting reconciliation"
	case Sent:
		return "already sent"
	case Retrying:
		return "waiting for a retry"
	case Failed:
		return "failed for good"
	}
	return state
}

// CodeOptedOut, as a Failed settlement's Code, leaves a pair out because the contact
// opted out after the import (checked at send time): counted opted_out, not failed.
const CodeOptedOut = -1

// Settlement is one change of an attempt's state; see Settle.
type Settlement struct {
	Contact chat.ContactID
	Attempt int
	Number  chat.NumberID
	At      time.Time
	Kind    Kind
	// WAMID and Level (1 accepted or sent, 2 delivered, 3 read) are for Sent.
	WAMID string
	Level int
	// Code is Meta's error code, for Failed and Retrying.
	Code int
	// Due is when a Retrying pair may be claimed again, or until when an Unknown one waits
	// for a status webhook.
	Due time.Time
	// Cost is the attempt's price in the rate table's minor units, added once, when the
	// attempt is first counted delivered.
	Cost int64
}

// Settle records what became of an attempt — the Graph API's answer, a status webhook, a
// failure to retry, a claim released unsent (Pending) — and updates the number's counters
// (sent, delivered, read, failed:<code>, unknown, unknown_resolved, unknown_resent,
// failed_after_sent, cost) in the same atomic script. It is idempotent: a repeated or
// out-of-order status, or the answer for an attempt older than the pair's current one,
// changes nothing, and it reports false.
func (s *Redis) Settle(ctx context.Context, st Settlement) (bool, error) {
	kind := string(rune(st.Kind))
	if st.Kind == Pending {
		kind = "p"
	}
	due := int64(0)
	if !st.Due.IsZero() {
		due = st.Due.UnixMilli()
	}
	n, err := settleScript.Run(ctx, s.client, []string{s.k.send, s.k.inflight, s.k.retry, s.CountersKey(st.Number)},
		string(st.Contact), st.Attempt, kind, string(st.Number), st.At.UnixMilli(), st.WAMID, st.Level, due, st.Code, st.Cost).Int()
	if err != nil {
		return false, fmt.Errorf("settling contact %s of campaign %q: %w", st.Contact.Redacted(), s.campaign, err)
	}
	return n == 1, nil
}

// State returns the pair's send state.
func (s *Redis) State(ctx context.Context, contact chat.ContactID) (State, error) {
	v, err := s.client.HGet(ctx, s.k.send, string(contact)).Result()
	if errors.Is(err, redis.Nil) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("reading the send state of contact %s: %w", contact.Redacted(), err)
	}
	return ParseState(v)
}

// Sweep settles up to limit pairs whose deadline passed at now: a claim whose lease ran
// out becomes Unknown and waits until now+grace for a status webhook (a send may have
// reached Meta before its replica died); an Unknown pair whose wait is over is released,
// so it is sent again (counted unknown_resent). Every replica may sweep; the scripts make
// concurrent sweeps harmless. It returns how many pairs it changed.
func (s *Redis) Sweep(ctx context.Context, now time.Time, grace time.Duration, limit int) (int, error) {
	ids, err := s.client.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.k.inflight, Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10), ByScore: true, Count: int64(limit),
	}).Result()
	if err != nil {
		return 0, fmt.Errorf("sweeping campaign %q: %w", s.campaign, err)
	}
	changed := 0
	for _, id := range ids {
		st, err := s.State(ctx, chat.ContactID(id))
		if err != nil {
			return changed, err
		}
		set := Settlement{Contact: chat.ContactID(id), Attempt: st.Attempt, Number: st.Number, At: now}
		switch st.Kind {
		case Claimed:
			set.Kind, set.Due = Unknown, now.Add(grace)
		case Unknown:
			set.Kind = Pending
		default:
			// Settled meanwhile; the script removed it from inflight, or will.
			if err := s.client.ZRem(ctx, s.k.inflight, id).Err(); err != nil {
				return changed, fmt.Errorf("sweeping campaign %q: %w", s.campaign, err)
			}
			continue
		}
		ok, err := s.Settle(ctx, set)
		if err != nil {
			return changed, err
		}
		if ok {
			changed++
		}
	}
	return changed, nil
}

// Numbers returns the numbers the campaign has sent from.
func (s *Redis) Numbers(ctx context.Context) ([]chat.NumberID, error) {
	ids, err := s.client.SMembers(ctx, s.k.numbers).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the numbers of campaign %q: %w", s.campaign, err)
	}
	out := make([]chat.NumberID, len(ids))
	for i, id := range ids {
		out[i] = chat.NumberID(id)
	}
	return out, nil
}

// Counters returns a number's raw outcome counters (the field names Settle writes); the
// outcome package turns them into its Counters.
func (s *Redis) Counters(ctx context.Context, number chat.NumberID) (map[string]int64, error) {
	m, err := s.client.HGetAll(ctx, s.CountersKey(number)).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the counters of campaign %q: %w", s.campaign, err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("counter %s of campaign %q is %q: %w", k, s.campaign, v, err)
		}
		out[k] = n
	}
	return out, nil
}
