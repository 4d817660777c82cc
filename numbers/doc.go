// Package numbers is the registry of the business's WhatsApp numbers: the one inbox
// number and the campaign numbers, each with its account, portfolio, token, throughput
// and routing policy, and with its live health — Meta's quality rating and whether it is
// active, flagged, replies-only (Meta's RESTRICTED_BIZ_INITIATED_MESSAGING: answers inside
// a contact's window, no templates outside it, no campaigns), restricted or banned.
//
// The list is validated once by New and never changes. The health changes through webhook
// events (Apply: phone_number_quality_update, account_update), send errors
// (MarkRestricted: 131048, 368, ...) and operators (MarkActive). Every change is written
// through a StateStore shared by all replicas (RedisStates: key <prefix>:num:<id>) and
// then published in an in-memory snapshot, so readers such as the router ask Usable or
// State without I/O. Refresh reloads the snapshot from the store; the server calls it
// periodically so that every replica sees what another applied.
//
// Tokens are Secret values: fmt, slog and JSON print them redacted.
//
//	reg, err := numbers.New([]numbers.Number{
//		{ID: "1001", Display: "+966 55 000 0001", Role: numbers.RoleInbox, WABA: "w1", Token: numbers.Secret(tok1)},
//		{ID: "2001", Display: "+966 55 000 0002", Role: numbers.RoleCampaign, WABA: "w2",
//			Token: numbers.Secret(tok2), Campaign: "ramadan", Policy: numbers.PolicyLink},
//	}, numbers.NewRedisStates(rdb, st.Prefix())) // st: the *store.Redis, which owns the key prefix
//	if err != nil { /* *numbers.ConfigError: every Problem with its index and field */ }
//	for _, w := range reg.Warnings() { log.Warn(w.String()) }
//	_ = reg.Refresh(ctx)                    // at start-up, then every few seconds
//	changed, err := reg.Apply(ctx, ev)      // for each *numbers.QualityEvent / *numbers.AccountEvent
//	ok := reg.Usable("2001", time.Now())    // false once banned or restricted
//	ok = reg.CanInitiate("2001", time.Now()) // false as well while replies-only
package numbers
