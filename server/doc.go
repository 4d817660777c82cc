// Package server is `wasla serve`: the HTTP server Meta's webhooks point at, and the
// workers and loops behind it.
//
// A webhook POST is read whole (at most MaxWebhookBody, Meta's 3 MB), its
// X-Hub-Signature-256 checked over the raw bytes, and its events parsed by
// channels/whatsapp. Inbound messages get their contact key resolved (wa_id or Meta's
// user id, one contact either way) and are pushed to the durable intake in Redis; failed
// statuses are appended to the contact's history and passed to the sender (a restricted
// number is marked); quality and account updates go to the number registry. Only then is
// the answer 200, so a crash after it loses nothing; anything that could not be recorded is
// answered 500 and Meta delivers the POST again, the duplicates being dropped by message id.
//
// Behind the webhook, Run drives:
//   - the intake workers: each queued message runs through Engine.Receive, one at a time per
//     contact and in order, across replicas;
//   - the timers (burst answers, ask timeouts, waits): each timer the engine commits is
//     noted (TimerNotes) and fired at its moment by a pool of firers; Engine.RunDue on
//     every tick polls the store's timer index for the rest (other replicas', a restart's);
//   - the number refresh: the registry re-reads every number's health from Redis;
//   - the flows watcher: a changed flow file reloads the flows (so does Reload, which the
//     command calls on SIGHUP); a reload with an error keeps the running flows.
//
// When replies fall behind, the server pushes back (backlog.go): past limits.shed_lag it
// skips marks as read, past limits.refuse_depth or refuse_lag it answers webhooks 503 with
// Retry-After so that Meta delivers them later, and a bounded number of webhook handlers
// run at once so that a flood of POSTs leaves the workers their CPU.
//
// /healthz, /readyz and /metrics (Prometheus, on a registry of the server's own) complete
// the routes. Run shuts down gracefully when its context ends: the HTTP server finishes the
// requests in flight, then each worker its current message.
//
// Build wires a Server from a config.Config with the Redis store, the intake, the number
// registry, the router and the sender; New takes the parts as small interfaces (Deps), so
// tests run the server over fakes.
package server
