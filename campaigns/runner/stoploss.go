package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
)

// StopLoss judges a whole running campaign: the server gives health.StopLoss over the
// campaign's counters, with the thresholds of the campaign file's stop_loss section
// (cfg.Canary's rates). Implementations must be safe for concurrent use.
type StopLoss interface {
	// Check returns why the campaign must stop, "" to go on. total counts only the sends
	// since the last stop-loss the operator resumed from.
	Check(cfg pacing.Config, total outcome.Counters) string
	// Stopped reports a stop this replica made (log, metric, operator webhook); it is
	// called once per stop across every replica.
	Stopped(ctx context.Context, campaign, reason string)
}

// stopLossScript stops a running campaign and records the totals it stopped at, so that
// after the operator resumes it the stop-loss judges only what is sent from then on
// (else the same totals would stop it again at once). One replica wins: 1 when this call
// stopped it.
var stopLossScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'stopped', 'reason', ARGV[1], 'stop_loss_base', ARGV[2])
return 1`)

// stopLoss applies Options.StopLoss to a running campaign; stopped is true when the
// campaign does not run on (this replica or another stopped it).
func (r *Runner) stopLoss(ctx context.Context, c *compiled, rec Record) (stopped bool, err error) {
	if r.o.StopLoss == nil {
		return false, nil
	}
	total, _, err := r.counters(ctx, c.aud)
	if err != nil {
		return false, err
	}
	key := r.o.Control.key(rec.Name)
	since := total
	if b, err := r.o.Control.client.HGet(ctx, key, "stop_loss_base").Bytes(); err == nil {
		var base outcome.Counters
		if json.Unmarshal(b, &base) == nil {
			since = subtract(total, base)
		}
	}
	reason := r.o.StopLoss.Check(c.cfg, since)
	if reason == "" {
		return false, nil
	}
	reason = "stop-loss: " + reason
	b, err := json.Marshal(total)
	if err != nil {
		return true, err
	}
	won, err := stopLossScript.Run(ctx, r.o.Control.client, []string{key}, reason, b).Int()
	if err != nil {
		return true, fmt.Errorf("stopping campaign %s: %w", rec.Name, err)
	}
	if won == 1 {
		r.o.StopLoss.Stopped(ctx, rec.Name, reason)
	}
	return true, nil
}

// subtract returns a minus b, counter by counter.
func subtract(a, b outcome.Counters) outcome.Counters {
	neg := outcome.Counters{Queued: -b.Queued, Sent: -b.Sent, Delivered: -b.Delivered, Read: -b.Read, Replied: -b.Replied,
		OptedOut: -b.OptedOut, FailedAfterSent: -b.FailedAfterSent, Unknown: -b.Unknown, UnknownResolved: -b.UnknownResolved,
		UnknownResent: -b.UnknownResent, Cost: -b.Cost, OptedOutAfterSend: -b.OptedOutAfterSend}
	for code, n := range b.Failed {
		if neg.Failed == nil {
			neg.Failed = map[int]int64{}
		}
		neg.Failed[code] = -n
	}
	a.Failed = maps.Clone(a.Failed)
	a.Add(neg)
	return a
}
