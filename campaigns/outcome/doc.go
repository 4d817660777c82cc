// Package outcome is the bookkeeping of a campaign's sends: what Meta's answer or a
// status webhook means for the contact and the number (Classify), when a fatigued
// recipient is tried again (Ladder), the counters kept per (campaign, number) (Counters,
// with the field names the audience ledger writes), and what a send cost (Rates).
//
// Error codes fall into fates (see Fate): 131049, Meta's per-user marketing cap, is
// "recipient fatigued" — retried on a ladder of 24 h, 48 h and 72 h, at most three times,
// and never a quality signal, because it says the recipient got too much marketing from
// every business, not that ours was unwelcome. Throughput and Meta-side failures are
// transient and retried with back-off; a restricted number hands its contact to another
// number; template problems pause the campaign; everything else is permanent.
//
// Money is held in millionths of the rate table's currency (int64), so adding a million
// sends never loses a cent to floating point. Meta changes its rates (per market, per
// category, quarterly at least, and since July 2025 per message with volume tiers): the
// rate table is configuration, and a forecast or a status is only as right as the table.
package outcome
