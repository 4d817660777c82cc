// Package storetest is the contract of engine.Store as a test suite. Every store — Redis on
// miniredis, on one redis-server and on a Redis Cluster, or a fake of the engine's tests —
// runs the same Run, so the engine can rely on one behaviour whatever stores its state:
// an unknown contact loads at version 0, a commit round-trips the state, a stale version is
// refused with contact.ErrConflict and writes nothing, history keeps commit order, the due
// index follows the session's earliest timer, and concurrent writers of one contact never
// lose an update.
//
// Variables come back from JSON stores as JSON types (numbers as float64), so the suite
// stores those types; a store that keeps Go values as they are passes too.
package storetest
