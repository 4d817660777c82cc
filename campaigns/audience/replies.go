package audience

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
)

// Pricing is the pricing block of an attempt's status webhook, kept per attempt so the
// campaign's cost can be checked against Meta's invoice.
type Pricing struct {
	Attempt      int
	Category     string
	Billable     bool
	PricingModel string
	Type         string
}

// PricingKey returns the key of the attempts' pricing: hash contact ->
// "attempt|category|billable|model|type".
func (s *Redis) PricingKey() string { return s.k.base + "pricing" }

// RepliedKey returns the key of the contacts who replied: hash contact -> when (unix ms).
func (s *Redis) RepliedKey() string { return s.k.base + "replied" }

// SavePricing keeps the pricing block of a contact's attempt (the latest status wins).
func (s *Redis) SavePricing(ctx context.Context, contact chat.ContactID, p Pricing) error {
	v := strings.Join([]string{strconv.Itoa(p.Attempt), p.Category, strconv.FormatBool(p.Billable), p.PricingModel, p.Type}, "|")
	if err := s.client.HSet(ctx, s.PricingKey(), string(contact), v).Err(); err != nil {
		return fmt.Errorf("keeping the pricing of campaign %q: %w", s.campaign, err)
	}
	return nil
}

// PricingOf returns the pricing kept for a contact's attempt, and false when none came.
func (s *Redis) PricingOf(ctx context.Context, contact chat.ContactID) (Pricing, bool, error) {
	v, err := s.client.HGet(ctx, s.PricingKey(), string(contact)).Result()
	if err == redis.Nil {
		return Pricing{}, false, nil
	}
	if err != nil {
		return Pricing{}, false, fmt.Errorf("reading the pricing of campaign %q: %w", s.campaign, err)
	}
	f := strings.Split(v, "|")
	if len(f) != 5 {
		return Pricing{}, false, fmt.Errorf("pricing of campaign %q for %s is %q", s.campaign, contact, v)
	}
	a, _ := strconv.Atoi(f[0])
	b, _ := strconv.ParseBool(f[2])
	return Pricing{Attempt: a, Category: f[1], Billable: b, PricingModel: f[3], Type: f[4]}, true, nil
}

// replyScript counts a contact's reply once per campaign: the contact must have been sent
// to (state s, accepted by Meta) no longer than the window before the reply, and not
// counted yet. KEYS: send, replied, the counters of the number (resolved in the script
// from the send state, so the caller passes the counters' key prefix as ARGV[4]); ARGV[5]
// is the counter raised (replied; opted_out_after_send for OptOut, which counts an
// opt-out the same way into its own hash).
var replyScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], ARGV[1])
if not st then return '' end
local k, a, num, ms = string.match(st, '^(%a)|(%d+)|([^|]*)|(%d+)')
if k ~= 's' then return '' end
local at, window = tonumber(ARGV[2]), tonumber(ARGV[3])
if at < tonumber(ms) or at > tonumber(ms) + window then return '' end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return '' end
redis.call('HINCRBY', ARGV[4] .. num, ARGV[5], 1)
return num`)

// Reply counts contact's message at as a reply to the campaign when the campaign's
// template reached the contact (Meta accepted it) at most window before: once per
// (campaign, contact), whatever number the contact writes to. It returns the number that
// sent, "" when the message did not count.
func (s *Redis) Reply(ctx context.Context, contact chat.ContactID, at time.Time, window time.Duration) (chat.NumberID, error) {
	num, err := replyScript.Run(ctx, s.client, []string{s.k.send, s.RepliedKey()},
		string(contact), at.UnixMilli(), window.Milliseconds(), s.k.base+"n:", "replied").Text()
	if err != nil {
		return "", fmt.Errorf("counting a reply to campaign %q: %w", s.campaign, err)
	}
	return chat.NumberID(num), nil
}
