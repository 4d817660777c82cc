// Package redact blanks secrets in text before it leaves the process: in logs, in a
// contact's history, in exports and in metric labels.
//
// Error texts are the usual leak: a proxy or an API that echoes the request headers puts
// the Authorization header into its answer, and the answer into our error. Text removes
// the secrets the caller names and, as a net for the ones it does not know, anything
// shaped like a credential: a bearer token, an access_token parameter, a Meta access token
// (EAA...). Handler applies Text to every record a slog logger writes.
package redact
