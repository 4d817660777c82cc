// Package store keeps wasla's state in Redis: it implements engine.Store over a go-redis
// UniversalClient, so one server, Sentinel and Redis Cluster all work, and the embedded
// miniredis serves as the zero-setup default.
//
// Every key of one contact carries the same hash tag, the contact's bucket, and the bucket's
// timer index lives under that tag too. So a Commit — version check, profile, session,
// history entries and timer index — is one Lua script in one round trip, atomic on a single
// server and on a cluster alike, and a Load is one MULTI/EXEC round trip. docs/redis.md lists
// every key, its type, its TTL and who writes it.
//
// Open turns a redis:// or rediss:// URL into a client (a comma list of nodes or a node of a
// cluster gives a cluster client); Embedded starts an in-process miniredis. go-redis types
// appear only in these constructors; the engine sees engine.Store.
package store
