// Package whatsapp speaks the WhatsApp Business Platform (Meta Cloud API) for wasla: it
// turns webhook payloads into typed events carrying the neutral chat vocabulary, and
// chat.Outbound messages into Graph API send requests.
//
// Everything here except Client is a pure function over bytes, tested on payloads built
// from Meta's published examples (see testdata/README.md). The package imports neither
// the engine nor flows, and no HTTP router: the server wires it up.
//
// # Inbound
//
// A webhook POST is checked with VerifySignature over the raw body bytes (never over
// re-encoded JSON: Meta signs the bytes it sent), then decoded with ParseWebhook into a
// Batch of events. Callers handle the events with one type switch:
//
//	batch, err := whatsapp.ParseWebhook(body)
//	for _, ev := range batch.Events {
//		switch ev := ev.(type) {
//		case *whatsapp.Message:        // ev.Inbound is a chat.Inbound
//		case *whatsapp.Status:         // sent, delivered, read, failed
//		case *whatsapp.ErrorEvent:     // value.errors: system or account errors
//		case *whatsapp.QualityUpdate:  // phone_number_quality_update
//		case *whatsapp.AccountUpdate:  // account_update: restrictions, bans
//		case *whatsapp.TemplateStatus: // message_template_status_update
//		case *whatsapp.Call:           // calls: ev.Inbound is a chat.Inbound of KindCall
//		case *whatsapp.Unknown:        // a field or object this package does not decode
//		}
//	}
//
// Meta delivers webhooks at least once, unordered and batched, so ParseWebhook keeps
// every item in the order it appears and leaves deduplication (on the wamid, and on
// wamid plus status) to the caller. The GET verification handshake is VerifyChallenge.
//
// # Outbound
//
// BuildMessage converts a chat.Outbound into the exact JSON body of
// POST /{version}/{phone-number-id}/messages; BuildMarkRead builds the read receipt.
// Client sends them, decodes Meta's error JSON into *APIError with a Class, and retries
// only the back-off class with exponential backoff and jitter.
//
// # Throughput (not built yet)
//
// Meta allows each registered number a throughput (80 messages per second by default,
// error 130429 beyond it) that is shared by every wasla replica sending from that number.
// A per-number limiter shared through Redis belongs in front of Client.Send; it will be a
// small interface declared by the sending side, for example
// Wait(ctx context.Context, number chat.NumberID) error, so that this package keeps no
// Redis dependency. Until then Client only backs off after Meta refuses.
package whatsapp
