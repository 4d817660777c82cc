// Package country maps an international phone number to what a campaign needs to know
// about the recipient's country: its ISO code, a time zone to hold quiet hours in, the
// national trunk prefix and number lengths (to read numbers written in national form), and
// Meta's per-country marketing rules.
//
// The table is compact on purpose: the Gulf and the wider Arab world, Iran and Turkey,
// Europe's large markets, the Indian subcontinent, the +1 zone and a few others where
// businesses in the region have customers. Lookup finds the longest calling code that
// prefixes a number. A number whose code is not in the table still works everywhere: it is
// accepted by its E.164 length alone (8 to 15 digits) and its time zone falls back to the
// campaign's default zone (the business's own), which docs/campaigns.md documents.
//
// Where a calling code spans several time zones the table names the most populous one:
// +1 → America/New_York, +7 → Europe/Moscow, +86 → Asia/Shanghai, +62 → Asia/Jakarta,
// +55 → America/Sao_Paulo, +61 → Australia/Sydney. A contact attribute naming an IANA zone
// overrides the table (see pacing).
//
// Meta's rules (WHATSAPP-2026.md §A2) are facts that change; the table holds the state of
// 2026 and callers may override them from configuration:
//   - NoMarketing: Meta does not deliver marketing templates to US numbers (+1) since
//     1 April 2025. The +1 zone also covers Canada and much of the Caribbean, which a
//     calling code cannot tell apart; the whole zone is flagged.
//   - NoUserCap: the per-user marketing cap (error 131049) does not apply to users in the
//     EEA, the UK, Japan or South Korea.
package country
