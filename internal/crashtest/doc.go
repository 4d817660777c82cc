// Package crashtest holds the tests that kill things: the wasla binary with SIGKILL in the
// middle of a conversation, and redis-server with SIGKILL after acknowledged commits. They
// build cmd/wasla, run it against a real redis-server with append-only persistence
// (appendonly yes, appendfsync always, as docs/redis.md recommends) and check that the
// conversation resumes and that no acknowledged history entry is lost.
//
// The package has no code besides its tests. They skip when redis-server is missing (and
// fail when CI=true), and under -short, since building the binary takes a while.
package crashtest
