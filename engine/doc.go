// Package engine runs flows over per-contact session state: it matches triggers, runs
// steps until one waits for input, keeps timers for ask timeouts and waits, answers a burst
// of messages once, honours opt-out words and hands conversations to human queues.
//
// The engine declares what it consumes — a Store for state, a Sender for replies, a Clock
// for time and an HTTPDoer for http steps — and the simulator, the conversation tests and
// the server all drive the same Engine, so a flow behaves alike in each.
package engine
