// Package sending delivers the engine's replies through the WhatsApp Cloud API: it is the
// engine.Sender that sends each message from the number the router chose (msg.From),
// with that number's token from the registry, within the number's throughput shared by all
// replicas, and acts on Meta's classified errors.
//
// Before a send, the number must be in the registry and usable (not restricted or banned),
// and a RedisLimiter slot is reserved: a GCRA in one Lua call per send over the key
// <prefix>:rate:<id>, so all replicas together stay within the number's messages per
// second. After a failed send:
//
//   - restricted (131048, 368, 131031, 130497): the registry marks the number restricted,
//     so the router stops choosing it;
//   - unreachable or opted out (131026, 131049, 130472, 131050) and window closed
//     (131047): a refused event is recorded on the contact, with the code in Detail;
//   - template problems, exhausted back-offs and other failures: an error event.
//
// ApplyStatus does the same for a failed status webhook (Meta often reports a failure
// only after a 200), except recording, which the server does with the status itself.
//
// Every outcome reaches the optional Observer (Sent, Failed, Refused) for metrics. Tokens
// travel only in the Authorization header; errors and records never carry them.
//
//	limiter := sending.NewRedisLimiter(rdb, st.Prefix(), nil) // the store's prefix; nil clock: Redis server time
//	snd, err := sending.New(sending.Options{
//		Client:   &whatsapp.Client{BaseURL: cfg.GraphURL, Version: cfg.GraphVersion},
//		Numbers:  reg,      // *numbers.Registry
//		Limiter:  limiter,
//		Recorder: recorder, // RecordEvent(ctx, chat.Event) error, over the store
//		Observer: metrics,  // Sent, Failed, Refused
//	})
//	eng := engine.New(set, store, snd, engine.Options{Router: rt})
//	wamid, err := snd.SendMessage(ctx, msg) // when the caller needs the wamid
//	err = snd.ApplyStatus(ctx, st)          // for each *whatsapp.Status webhook event
package sending
