// Package store keeps wasla's state in Redis: it implements the engine's Store over a go-redis
// UniversalClient, so one server, Sentinel and Redis Cluster all work, and the embedded
// miniredis serves as the zero-setup default.
//
// Every key of one contact carries the same hash tag, the contact's bucket, and the bucket's
// indexes live under that tag too. So a Commit — fence and duplicate checks, version check,
// profile, session, history entries, timer and contact indexes — is one Lua script in one
// round trip, atomic on a single server and on a cluster alike, and a Load is one script
// too. Profile, session and queued messages are kept in contact's compact encoding, the
// history as a list of JSON events (streams written before are still read). A commit whose history holds an inbound message id committed within
// the dedupe period is refused with contact.ErrDuplicate, in the same script.
//
// Intake is the durable per-contact queue in front of the engine: Push stores inbound
// messages, Run hands them to a handler one contact at a time, in order, across replicas,
// under a lease: each message comes with a Tx over its contact, whose Commit checks the
// lease's fencing token (ErrFenced) and takes the message off the queue. ResolveContact
// keys a message by wa_id or Meta's user id; Contacts and History stream what
// `wasla history export` writes. docs/redis.md lists every key, its type, its TTL and who
// writes it.
//
// Open turns a redis:// or rediss:// URL into a client (a comma list of nodes or a node of a
// cluster gives a cluster client); Embedded starts an in-process miniredis. go-redis types
// appear only in these constructors and NewIntake; the engine sees its Store and Tx.
package store
