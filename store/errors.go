package store

import "errors"

// ErrFenced is returned by Tx.Commit when the contact's intake lease is no longer held with
// the token the Tx was given: the lease ran out and
// another worker may have taken the contact over. The commit wrote nothing. It does not
// wrap contact.ErrConflict on purpose: re-running the message cannot succeed, so the engine
// must not retry it; the intake worker that sees it stops working on the contact and
// leaves the message to the lease's new holder.
var ErrFenced = errors.New("intake lease lost: another worker holds the contact")

// ErrUnavailable marks a load or a commit that Redis did not carry out: it could not be
// reached, or refused the command (out of memory, read-only replica, loading). The fault
// is Redis's, not the message's: the intake retries such a message for as long as it
// takes and never makes it a dead letter.
var ErrUnavailable = errors.New("redis unavailable")
