// Package simulation plays a campaign in virtual time: the forecast of `wasla campaign
// plan` and the risk simulator of `wasla campaign simulate`.
//
// It runs the live campaign's own decisions — pacing.Planner.Next over a
// pacing.MemoryState, the canary gate, pacing.MemoryThroughput, the warm-up judgement,
// health.Weights.Compute and health.Policy.Evaluate over a health.MemoryStore — on a
// clock.Manual that jumps to the next moment anything can happen, so a change to the
// pacing or the health policy shows in the forecast, the simulation and production alike.
//
// What the live campaign learns from Meta and the recipients, the simulation takes from a
// Model: a modelled audience whose reactions grow with the pressure a number puts on it
// (too much, too fast), and a modelled Meta (a recency-weighted 7-day quality rating,
// template pacing that holds, then releases or drops, and restrictions when a number stays
// RED). The forecast uses QuietModel: everyone is delivered and nobody complains, so it
// shows what pacing alone allows. Every probability and threshold is an assumption,
// documented on Model and in docs/campaigns.md, because Meta publishes none of them.
//
// Runs are reproducible: the model's randomness is math/rand/v2's PCG seeded by
// Model.Seed.
package simulation
