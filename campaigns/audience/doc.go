// Package audience holds who a campaign goes to and whether each of them got it: it reads
// an audience CSV of any size into Redis, and it claims each (campaign, contact) pair for
// one send at a time so that a pair is sent at most once across replicas and restarts.
//
// Import streams the file (encoding/csv with a reused record) in batches: memory stays
// bounded by one batch whatever the file's size. The header row names the phone column
// and the attribute columns. Phones turns what people type — national numbers with a
// default country, a leading 00, Arabic-Indic or Persian digits, spaces, dashes and
// brackets — into E.164 digits (the wa_id form). Bad rows are reported with their line
// numbers and skipped; rows to countries Meta does not deliver marketing to (US +1), to
// contacts who opted out (an OptOuts the caller supplies, asked once per batch) and
// duplicates (the first row wins) are left out and counted with the reason.
//
//	phones, err := audience.NewPhones("SA")
//	store, err := audience.NewRedis(rdb, "wasla", "ramadan")
//	rep, err := audience.Import(ctx, file, store, audience.Options{
//		PhoneColumn: "mobile", Phones: phones, Marketing: true, OptOuts: optOuts})
//	// rep.Added, rep.SkippedBy(audience.Duplicate), rep.Problems ("line 17: ...")
//
// The send ledger lives beside the audience under the campaign's hash tag (Redis lists
// the keys). Claim atomically moves a pair from pending (or a due retry) to claimed under a
// lease; Settle records the Graph API's answer and every later status webhook, idempotently
// and in any order; Sweep turns a claim whose lease ran out into Unknown — the replica died
// between claiming and learning the answer — which a status webhook may still resolve
// (Meta echoes the callback data that names the campaign, contact and attempt), and which is
// released for a new attempt when none came within the grace period. docs/campaigns.md
// describes the states and the reconciliation.
package audience
