// Package layers holds the test that keeps dependencies pointing down: the packages that
// read and write a contact, queue and send messages do not compile the flow language or
// the engine, the number registry does not depend on a channel's wire format, and the
// contact's state depends on nothing of ours but the vocabulary. A move that breaks one of
// these rules fails here, naming the import chain's culprit.
//
// The package has no code besides its test.
package layers
