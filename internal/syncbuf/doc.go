// Package syncbuf holds Buffer, a byte buffer that goroutines may write while a test reads
// it: the log sink of a server under test, or the output of a child process the test
// watches. Test helpers of several packages need one, so it lives here once.
package syncbuf
