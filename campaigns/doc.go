// Package campaigns is the home of wasla's campaign parts; the code lives in its
// subpackages, each with one job:
//
//   - country: calling codes to countries, time zones and Meta's per-country rules;
//   - audience: reading an audience CSV into Redis, and claiming each (campaign, contact)
//     pair exactly once across replicas and restarts;
//   - pacing: the scheduler's decisions (warm-up ramp, the portfolio's shared messaging
//     limit, quiet hours, the canary, open windows first) as pure code over a clock, with
//     the state shared across replicas behind a small interface;
//   - outcome: what became of each send — counters, cost, the 131049 retry ladder and
//     which errors are permanent.
//
// docs/campaigns.md describes the design, the Redis keys and the defaults.
package campaigns
