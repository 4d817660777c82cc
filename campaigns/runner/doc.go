// Package runner runs campaigns: the control records in Redis that `wasla campaign` and
// the admin API write (start, pause, resume, cancel) and read (status), and the loop
// inside `wasla serve` that sends each running campaign's template to its audience, paced
// by campaigns/pacing and exactly once through the ledger of campaigns/audience.
//
// A campaign's record holds the campaign file's text, so every replica runs the same
// campaign without sharing a disk: the runner compiles it again (the file was checked when
// it started). Each pass of the loop, per running campaign: sweep the claims whose lease
// ran out, gate on the canary and the stop-loss, then take the due retries and a page of
// the audience; for each contact not yet settled: skip it if it opted out, ask the
// planner for a number (RedisState.Reserve), claim the pair, send the template with the
// attempt's callback data, and settle the Graph API's answer. Status webhooks settle the
// same ledger (ApplyStatus). docs/campaigns.md describes the states and the guarantees.
package runner
