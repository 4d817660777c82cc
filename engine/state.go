package engine

import "github.com/wasla/wasla/contact"

// The contact's state lives in package contact, which the store, the router and the
// sender share without compiling the flow language. The engine's code and its callers
// speak of it by these names.
type (
	State     = contact.State
	Contact   = contact.Contact
	Session   = contact.Session
	Mode      = contact.Mode
	Frame     = contact.Frame
	Routing   = contact.Routing
	Invite    = contact.Invite
	Await     = contact.Await
	AwaitKind = contact.AwaitKind
	Timer     = contact.Timer
	TimerKind = contact.TimerKind
)

// Session modes, await kinds and timer kinds, as package contact declares them.
const (
	ModeBot   = contact.ModeBot
	ModeHuman = contact.ModeHuman

	AwaitAnswer = contact.AwaitAnswer
	AwaitChoice = contact.AwaitChoice

	TimerBurst   = contact.TimerBurst
	TimerTimeout = contact.TimerTimeout
	TimerWait    = contact.TimerWait
	TimerReturn  = contact.TimerReturn
)

// ErrConflict and ErrDuplicate are the refusals of a commit (see package contact).
var (
	ErrConflict  = contact.ErrConflict
	ErrDuplicate = contact.ErrDuplicate
)
