// Package e2e holds the end-to-end tests of `wasla serve`: they build the real wasla
// binary, start it with a temporary configuration against a real redis-server and a fake
// Graph API (an httptest server that checks every request against the shape Meta
// documents and records it), post signed webhook payloads made from the published samples
// in channels/whatsapp/testdata, and assert the replies, the history in Redis, the
// metrics and the process's signals and exit codes. Waits poll with a deadline.
//
// The package has no code of its own outside its tests.
package e2e
