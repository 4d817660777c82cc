// Package redistest starts real Redis servers for tests: a single redis-server on a free
// loopback port, optionally with append-only persistence, and a three-master Redis Cluster.
//
// The store's behaviour must hold on the server operators run, not only on miniredis, so the
// storage tests run against these. Servers are stopped in t.Cleanup. When redis-server (or
// redis-cli, for a cluster) is not on PATH the test is skipped with a message saying so,
// except when the environment variable CI is "true": there a missing binary fails the test,
// so CI can never pass by skipping the real-server tests.
//
// Waits poll the server with a deadline; nothing sleeps a fixed time hoping the server is up.
package redistest
