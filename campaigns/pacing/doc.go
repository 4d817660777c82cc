// Package pacing makes a campaign's scheduling decisions: which number sends to a contact
// and when, so that no number burns. The decisions are pure code over the time they are
// given, so the live scheduler (wall clock, Redis) and `wasla campaign plan` or the risk
// simulator (virtual clock, memory) run the same code.
//
// What it holds back, in the order Planner.Decide applies it:
//
//   - quiet hours: sending hours (Config.Hours, flows' business-hours syntax) held in the
//     contact's time zone — an attribute (Config.ZoneAttr) naming an IANA zone, else the
//     zone of the phone's calling code (campaigns/country), else the business's zone
//     (Zones); a contact outside the hours waits for the next allowed moment (Hours.Next);
//   - open windows first: a contact whose 24-hour window is open on a pool number is sent
//     from that number, which does not count against the portfolio's limit;
//   - the warm-up ramp (Ramp): a number's daily cap, starting low and climbing a step only
//     after a clean day (Ramp.Judge), spread over the day (Config.Spread);
//   - the portfolio's messaging limit (Config.Tiers): unique contacts reached outside a
//     window in a rolling 24 h, shared by every number of the portfolio, so rotating
//     numbers inside one portfolio adds no capacity;
//   - the canary (Canary.Gate): a small first slice, a pause for Meta's template pacing
//     and early feedback, then the rest only under the stop-loss thresholds.
//
// Per-number throughput (messages per second, Planner.Throughput) is kept by the sending
// package's Redis limiter live and by MemoryThroughput, the same Reserve shape over a
// manual clock, in virtual time.
//
// The state that replicas share — each number's sends of the day and the time of its last
// send, each portfolio's rolling reach set — sits behind State: RedisState (one Lua call
// per send, keys under the portfolio's hash tag) or MemoryState. Decide reads a Usage
// snapshot that may be slightly stale; State.Reserve has the last word, atomically, and
// Planner.Next re-decides when it refuses.
//
//	cfg := pacing.Defaults()
//	planner, err := pacing.NewPlanner(cfg, pool)
//	u, err := state.Usage(ctx, planner.Day(now), planner.Refs(), now, cfg.ReachWindow)
//	d, res, grant, err := planner.Next(ctx, state, now, candidate, u)
//	if d.Number == "" { /* come back at d.At, because of d.Wait */ }
//	// send from d.Number; if the send does not happen: state.Release(ctx, res, grant)
//
// docs/campaigns.md documents every default and why it was chosen.
package pacing
