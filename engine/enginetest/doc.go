// Package enginetest holds in-memory fakes of the engine's ports for tests of the engine and
// of packages built on it: MemStore, an engine.Store that behaves as the Redis store does
// (JSON round trip, version check, deduplication of inbound ids, due index), and Recorder,
// an engine.Sender that keeps what it was asked to send. They live in one place so that
// every package's tests run the engine over the same fake, and so that the fake itself is
// held to the store contract (store/storetest).
package enginetest
