package audience

import (
	"context"
	_ "embed"
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
	//go:embed claim.lua
	claimSource string
	//go:embed settle.lua
	settleSource string
	//go:embed add.lua
	addSource string

	claimScript  = redis.NewScript(claimSource)
	settleScript = redis.NewScript(settleSource)
	addScript    = redis.NewScript(addSource)
)

// DefaultPrefix is the key prefix when none is given, the same as the store's.
const DefaultPrefix = "wasla"

// Redis holds one campaign's audience and the send state of each of its contacts in
// Redis, shared by every replica. All its keys carry the campaign's hash tag, so its
// scripts touch one cluster slot (a campaign lives on one Redis Cluster node):
//
//	<prefix>:{c:<campaign>}:aud       sorted set: contact -> line in the file (send order)
//	<prefix>:{c:<campaign>}:attrs     hash: contact -> attribute values (JSON array)
//	<prefix>:{c:<campaign>}:meta      hash: phone (column name), attrs (JSON array of names)
//	<prefix>:{c:<campaign>}:send      hash: contact -> send state (see State)
//	<prefix>:{c:<campaign>}:inflight  sorted set: contact -> lease or reconciliation deadline (ms)
//	<prefix>:{c:<campaign>}:retry     sorted set: contact -> when a retry is due (ms)
//	<prefix>:{c:<campaign>}:numbers   set: the numbers the campaign sent from
//	<prefix>:{c:<campaign>}:n:<number> hash: the number's outcome counters
//
// Redis is a Sink for Import. It is safe for concurrent use.
type Redis struct {
	client   redis.UniversalClient
	campaign string
	k        redisKeys
}

type redisKeys struct{ base, aud, attrs, meta, send, inflight, retry, numbers string }

// NewRedis returns the store of campaign's audience; prefix "" means DefaultPrefix. The
// campaign name may not contain "{", "}" or ":", which would break the hash tag.
func NewRedis(client redis.UniversalClient, prefix, campaign string) (*Redis, error) {
	if campaign == "" || strings.ContainsAny(campaign, "{}:") {
		return nil, fmt.Errorf("campaign name %q: want a non-empty name without {, } or :", campaign)
	}
	if prefix == "" {
		prefix = DefaultPrefix
	}
	base := prefix + ":{c:" + campaign + "}:"
	return &Redis{client: client, campaign: campaign, k: redisKeys{
		base: base, aud: base + "aud", attrs: base + "attrs", meta: base + "meta", send: base + "send",
		inflight: base + "inflight", retry: base + "retry", numbers: base + "numbers",
	}}, nil
}

// CountersKey returns the key of a number's outcome counters.
func (s *Redis) CountersKey(number chat.NumberID) string { return s.k.base + "n:" + string(number) }

// Keys returns every key of the campaign except the per-number counters, for tests and
// documentation.
func (s *Redis) Keys() []string {
	return []string{s.k.aud, s.k.attrs, s.k.meta, s.k.send, s.k.inflight, s.k.retry, s.k.numbers}
}

// Begin records the file's columns; a second import must name the same ones.
func (s *Redis) Begin(ctx context.Context, h Header) error {
	cols, err := json.Marshal(h.Attrs)
	if err != nil {
		return fmt.Errorf("recording the audience's columns: %w", err)
	}
	old, err := s.client.HGet(ctx, s.k.meta, "attrs").Result()
	switch {
	case errors.Is(err, redis.Nil):
	case err != nil:
		return fmt.Errorf("reading the audience's columns: %w", err)
	case old != string(cols):
		return fmt.Errorf("campaign %q already has an audience with the columns %s; this file has %s", s.campaign, old, cols)
	}
	if err := s.client.HSet(ctx, s.k.meta, "phone", h.Phone, "attrs", string(cols)).Err(); err != nil {
		return fmt.Errorf("recording the audience's columns: %w", err)
	}
	return nil
}

// Add adds a batch in one round trip: a script runs ZADD NX per recipient (so the first
// row of a contact wins and a re-run import adds nothing) and stores its attributes.
func (s *Redis) Add(ctx context.Context, batch []Recipient) ([]bool, error) {
	args := make([]any, 0, 3*len(batch))
	for _, r := range batch {
		attrs := ""
		if len(r.Attrs) > 0 {
			b, err := json.Marshal(r.Attrs)
			if err != nil {
				return nil, fmt.Errorf("encoding the attributes of line %d: %w", r.Line, err)
			}
			attrs = string(b)
		}
		args = append(args, r.Line, string(r.Contact), attrs)
	}
	res, err := addScript.Run(ctx, s.client, []string{s.k.aud, s.k.attrs}, args...).Text()
	if err != nil {
		return nil, err
	}
	if len(res) != len(batch) {
		return nil, fmt.Errorf("adding to the audience: %d answers for %d recipients", len(res), len(batch))
	}
	added := make([]bool, len(batch))
	for i := range batch {
		added[i] = res[i] == '1'
	}
	return added, nil
}

// Len returns the number of recipients in the audience.
func (s *Redis) Len(ctx context.Context) (int, error) {
	n, err := s.client.ZCard(ctx, s.k.aud).Result()
	if err != nil {
		return 0, fmt.Errorf("counting the audience of campaign %q: %w", s.campaign, err)
	}
	return int(n), nil
}

// Next returns up to n recipients after line afterLine, in file order, with their
// attributes: the scheduler's cursor over the audience (start with 0). Two round trips
// per page.
func (s *Redis) Next(ctx context.Context, afterLine, n int) ([]Recipient, error) {
	zs, err := s.client.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{
		Key: s.k.aud, Start: "(" + strconv.Itoa(afterLine), Stop: "+inf", ByScore: true, Count: int64(n),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the audience of campaign %q: %w", s.campaign, err)
	}
	if len(zs) == 0 {
		return nil, nil
	}
	ids := make([]string, len(zs))
	for i, z := range zs {
		ids[i] = z.Member.(string)
	}
	vals, err := s.client.HMGet(ctx, s.k.attrs, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the attributes of campaign %q: %w", s.campaign, err)
	}
	out := make([]Recipient, len(zs))
	for i, z := range zs {
		out[i] = Recipient{Contact: chat.ContactID(ids[i]), Line: int(z.Score)}
		if v, ok := vals[i].(string); ok {
			if err := json.Unmarshal([]byte(v), &out[i].Attrs); err != nil {
				return nil, fmt.Errorf("reading the attributes of a contact of campaign %q: %w", s.campaign, err)
			}
		}
	}
	return out, nil
}

// Columns returns the attribute column names recorded by the import.
func (s *Redis) Columns(ctx context.Context) ([]string, error) {
	v, err := s.client.HGet(ctx, s.k.meta, "attrs").Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the columns of campaign %q: %w", s.campaign, err)
	}
	var cols []string
	if err := json.Unmarshal([]byte(v), &cols); err != nil {
		return nil, fmt.Errorf("reading the columns of campaign %q: %w", s.campaign, err)
	}
	return cols, nil
}

// DueRetries returns up to n contacts whose retry is due at now.
func (s *Redis) DueRetries(ctx context.Context, now time.Time, n int) ([]chat.ContactID, error) {
	ids, err := s.client.ZRangeArgs(ctx, redis.ZRangeArgs{
		Key: s.k.retry, Start: "-inf", Stop: strconv.FormatInt(now.UnixMilli(), 10), ByScore: true, Count: int64(n),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the due retries of campaign %q: %w", s.campaign, err)
	}
	out := make([]chat.ContactID, len(ids))
	for i, id := range ids {
		out[i] = chat.ContactID(id)
	}
	return out, nil
}
