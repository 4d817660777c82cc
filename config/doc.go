// Package config reads the YAML file `wasla serve` runs from: where to listen, which Redis,
// which flows, the WhatsApp app's secrets, the business numbers and how replies to campaign
// numbers are routed into the central inbox. docs/config.md documents every key.
//
// Load parses the file into a yaml.Node tree and walks it, so every problem is reported
// at once and each one as `file:line:col: message`: an unknown key (with the likely key
// it was meant to be), a wrong type, a missing value, a second inbox number. A file with
// any problem gives no Config; start-up stops on it.
//
// Secrets (the app secret, the verify token, access tokens, the Redis URL) are usually
// written as `${VAR}` and read from the environment; `${VAR:-default}` gives a default.
// They are held as Secret values, which print, log and marshal as "[redacted]": only
// Reveal gives the value, so a config logged whole never leaks one.
package config
