// Package health scores each campaign number from what recipients did with its messages
// over the last seven days, and decides what the campaign does about it: slow the number,
// stop it, retire it and move its audience, resume it later on a fresh warm-up step.
//
// Meta's own signal has become coarse (a GREEN/YELLOW/RED rating and a health_status with
// can_send_message, WHATSAPP-2026.md §A2, §A4) and arrives late: by the time a number is
// RED, the damage is done. wasla sees its own signals first — failures by class, opt-outs,
// negative replies, blocks, read and reply rates — and slows down before Meta acts.
//
// The pieces:
//
//   - Counts: one number's signals on one day; Store keeps them in daily buckets, shared by
//     every replica (RedisStore) or in one process for the simulator (MemoryStore).
//   - Score: the formula (documented on Score and in docs/campaigns.md), pure over seven
//     days of Counts and Meta's latest word (MetaStatus).
//   - Phrases: the negative replies, matched with the flows' Arabic folding (normalize).
//   - Policy: thresholds turning a score into a State (active, slowed, stopped, retired)
//     and an Allowance that the pacing planner applies to the number's daily cap and pace
//     (pacing.Number.Allowance); StopLoss for the whole campaign.
//   - Event and Sink: every change of state is an event for the log (LogSink), the
//     metrics (Counters) and an optional signed operator webhook (Webhook).
//
// The live campaign, `wasla campaign plan` and `wasla campaign simulate` run this same
// code; only the Store and the clock differ.
package health
