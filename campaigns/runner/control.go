package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
)

// Campaign states.
const (
	StateRunning   = "running"
	StatePaused    = "paused"
	StateCancelled = "cancelled"
	StateStopped   = "stopped" // by the stop-loss or a template problem; resume to go on
	StateDone      = "done"
)

// ErrNoCampaign means no campaign of that name was started.
var ErrNoCampaign = errors.New("no such campaign")

// ErrState means the operation does not apply to the campaign's state (resuming a
// cancelled campaign).
var ErrState = errors.New("not possible in the campaign's state")

// Record is a campaign's control record.
type Record struct {
	Name    string    `json:"name"`
	File    string    `json:"file"`
	State   string    `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Started time.Time `json:"started"`
	Source  []byte    `json:"-"`
	// Currency is the rate table's currency the runner prices the campaign in ("": no
	// rate table).
	Currency string `json:"currency,omitempty"`
}

// Control reads and writes the campaigns' control records in Redis:
//
//	<prefix>:campaigns            set of campaign names
//	<prefix>:campaign:<name>      hash: source, file, state, reason, started (unix ms),
//	                              canary_done (unix ms), currency (the rate table's),
//	                              stop_loss_base (the totals of the last stop-loss, JSON)
//
// It is safe for concurrent use.
type Control struct {
	client redis.UniversalClient
	prefix string
}

// NewControl returns the control of the campaigns under prefix ("" means "wasla").
func NewControl(client redis.UniversalClient, prefix string) *Control {
	if prefix == "" {
		prefix = audience.DefaultPrefix
	}
	return &Control{client: client, prefix: prefix}
}

func (c *Control) key(name string) string { return c.prefix + ":campaign:" + name }
func (c *Control) setKey() string         { return c.prefix + ":campaigns" }

// Client returns the Redis client, for the campaign's audience store.
func (c *Control) Client() redis.UniversalClient { return c.client }

// Prefix returns the key prefix.
func (c *Control) Prefix() string { return c.prefix }

// Audience returns the audience and ledger of a campaign.
func (c *Control) Audience(name string) (*audience.Redis, error) {
	return audience.NewRedis(c.client, c.prefix, name)
}

// Save records a campaign as started (running), keeping the start time of an earlier
// start of the same name, so starting twice is harmless.
func (c *Control) Save(ctx context.Context, camp *campaignfile.Campaign, source []byte, now time.Time) error {
	key := c.key(camp.Name)
	pipe := c.client.TxPipeline()
	pipe.SAdd(ctx, c.setKey(), camp.Name)
	pipe.HSet(ctx, key, "source", source, "file", camp.File)
	pipe.HSetNX(ctx, key, "started", now.UnixMilli())
	pipe.HSetNX(ctx, key, "state", StateRunning)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("starting campaign %s: %w", camp.Name, err)
	}
	return nil
}

// Get returns a campaign's record.
func (c *Control) Get(ctx context.Context, name string) (Record, error) {
	m, err := c.client.HGetAll(ctx, c.key(name)).Result()
	if err != nil {
		return Record{}, fmt.Errorf("reading campaign %s: %w", name, err)
	}
	if len(m) == 0 {
		return Record{}, fmt.Errorf("campaign %s: %w", name, ErrNoCampaign)
	}
	ms, _ := strconv.ParseInt(m["started"], 10, 64)
	return Record{Name: name, File: m["file"], State: m["state"], Reason: m["reason"], Started: time.UnixMilli(ms).UTC(), Source: []byte(m["source"]),
		Currency: m["currency"]}, nil
}

// List returns every campaign's record, by name.
func (c *Control) List(ctx context.Context) ([]Record, error) {
	names, err := c.client.SMembers(ctx, c.setKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("listing campaigns: %w", err)
	}
	slices.Sort(names)
	out := make([]Record, 0, len(names))
	for _, n := range names {
		r, err := c.Get(ctx, n)
		if errors.Is(err, ErrNoCampaign) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// transitions says which states each operation leaves from.
var transitions = map[string]struct {
	to   string
	from []string
}{
	"pause":  {StatePaused, []string{StateRunning}},
	"resume": {StateRunning, []string{StatePaused, StateStopped, StateRunning}},
	"cancel": {StateCancelled, []string{StateRunning, StatePaused, StateStopped, StateCancelled}},
}

// Set applies an operation (pause, resume, cancel) with a reason for the status.
func (c *Control) Set(ctx context.Context, name, op, reason string) (Record, error) {
	t, ok := transitions[op]
	if !ok {
		return Record{}, fmt.Errorf("unknown operation %q", op)
	}
	r, err := c.Get(ctx, name)
	if err != nil {
		return Record{}, err
	}
	if !slices.Contains(t.from, r.State) {
		return r, fmt.Errorf("cannot %s campaign %s, which is %s: %w", op, name, r.State, ErrState)
	}
	return c.setState(ctx, name, t.to, reason)
}

func (c *Control) setState(ctx context.Context, name, state, reason string) (Record, error) {
	if err := c.client.HSet(ctx, c.key(name), "state", state, "reason", reason).Err(); err != nil {
		return Record{}, fmt.Errorf("setting campaign %s %s: %w", name, state, err)
	}
	return c.Get(ctx, name)
}

// stopIf moves a running campaign to state with reason; another replica may have done it
// already, which is fine.
func (c *Control) stopIf(ctx context.Context, name, state, reason string) error {
	r, err := c.Get(ctx, name)
	if err != nil || r.State != StateRunning {
		return err
	}
	_, err = c.setState(ctx, name, state, reason)
	return err
}
