package contact

import (
	"time"

	"github.com/wasla/wasla/chat"
)

// Mode says who answers the contact.
type Mode string

// Session modes.
const (
	ModeBot   Mode = "bot"
	ModeHuman Mode = "human"
)

// State is everything kept about one contact: the profile and the conversation. The store
// loads and commits it whole, so one inbound message changes it atomically.
type State struct {
	Contact Contact `json:"contact"`
	Session Session `json:"session"`
	// Version counts commits; a commit whose Version is not the stored one is refused with
	// ErrConflict, so two writers can never silently overwrite each other.
	Version int64 `json:"version"`
}

// Contact is the customer's profile, keyed by wa_id (or Meta's user id when no phone
// number is known).
type Contact struct {
	ID         chat.ContactID    `json:"id"`
	UserID     string            `json:"user_id,omitempty"`
	Name       string            `json:"name,omitempty"`
	Language   string            `json:"language,omitempty"`
	Tags       []string          `json:"tags,omitempty"`
	Attrs      map[string]string `json:"attrs,omitempty"`
	OptedOut   bool              `json:"opted_out,omitempty"`
	OptedOutAt time.Time         `json:"opted_out_at,omitzero"`
	LastNumber chat.NumberID     `json:"last_number,omitempty"` // the number the contact last wrote to
	// Windows holds, per business number, when the contact last wrote to it: the 24-hour
	// customer service window of that number runs from there.
	Windows map[chat.NumberID]time.Time `json:"windows,omitempty"`
	// Routing is the routing layer's memory of the conversation across business numbers.
	// The engine stores it with the rest of the state but never reads it.
	Routing *Routing `json:"routing,omitempty"`
}

// Routing is what the inbox router remembers about a contact between messages: where the
// last reply left from, and the one message it sent to bring the contact to the inbox
// number, so that it is sent once and not with every reply.
type Routing struct {
	// Number is the business number the last routed reply left from.
	Number chat.NumberID `json:"number,omitempty"`
	// Invite is the standing invitation, if any.
	Invite *Invite `json:"invite,omitempty"`
}

// Invite is one message sent instead of a reply to move the conversation on: a link to the
// inbox number, a template the inbox number opened the conversation with, or a fallback
// template sent because a window was closed. While it stands, later free-form replies wait.
type Invite struct {
	Kind string        `json:"kind"`          // "link", "bridge" or "fallback"
	From chat.NumberID `json:"from"`          // the number the invitation left from
	Via  chat.NumberID `json:"via,omitempty"` // the campaign number the contact had written to
	At   time.Time     `json:"at"`
}

// HasTag reports whether the contact carries tag.
func (c *Contact) HasTag(tag string) bool {
	for _, t := range c.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Session is the conversation's position and memory.
type Session struct {
	Flow        string         `json:"flow,omitempty"` // empty: no flow running
	Step        string         `json:"step,omitempty"`
	Vars        map[string]any `json:"vars,omitempty"`
	Await       *Await         `json:"await,omitempty"`        // input the session waits for
	Mode        Mode           `json:"mode,omitempty"`         // empty means bot
	Queue       string         `json:"queue,omitempty"`        // hand-off queue in human mode
	ReturnAfter time.Duration  `json:"return_after,omitempty"` // hand-off's return_after, counted from each agent reply
	ReturnTo    *Frame         `json:"return_to,omitempty"`    // hand-off's return_to: where the flows continue when the return timer fires
	Stack       []Frame        `json:"stack,omitempty"`        // return points of call steps
	Started     time.Time      `json:"started,omitzero"`
	LastInbound time.Time      `json:"last_inbound,omitzero"`
	Pending     []chat.Inbound `json:"pending,omitempty"` // a burst being collected
	Timers      []Timer        `json:"timers,omitempty"`
}

// Frame is where a call step returns to.
type Frame struct {
	Flow string `json:"flow"`
	Step string `json:"step"` // the call step; the flow continues after it
}

// AwaitKind names what a session waits for.
type AwaitKind string

// Await kinds.
const (
	AwaitAnswer AwaitKind = "answer" // an ask step
	AwaitChoice AwaitKind = "choice" // a buttons or list step
)

// Await is input the session waits for.
type Await struct {
	Kind    AwaitKind `json:"kind"`
	Flow    string    `json:"flow"`
	Step    string    `json:"step"`
	Retries int       `json:"retries,omitempty"`
	// Fingerprint is the step's flows.Step.Fingerprint when the question was sent: an
	// answer after a reload that changed the question is not filed under the new one.
	// Empty in states stored before fingerprints existed: the step's id alone decides.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// TimerKind names what a timer does when it fires.
type TimerKind string

// Timer kinds.
const (
	TimerBurst   TimerKind = "burst"   // answer the collected burst
	TimerTimeout TimerKind = "timeout" // an ask or choice went unanswered
	TimerWait    TimerKind = "wait"    // a wait step is over
	TimerReturn  TimerKind = "return"  // a hand-off returns to the bot
)

// Timer is a moment at which the engine acts for this contact without a message. Timers
// live in the state; the store indexes the earliest one so any replica can find it.
type Timer struct {
	Kind TimerKind `json:"kind"`
	Due  time.Time `json:"due"`
	Flow string    `json:"flow,omitempty"`
	Step string    `json:"step,omitempty"`
	// Stack is the call stack of a wait's flow when it began waiting: the flows the
	// customer starts meanwhile replace the session's stack, and the wait returns to its
	// own callers.
	Stack []Frame `json:"stack,omitempty"`
}

// NextDue returns the earliest timer's time, or the zero time when there is none.
func (s *Session) NextDue() time.Time {
	var due time.Time
	for _, t := range s.Timers {
		if due.IsZero() || t.Due.Before(due) {
			due = t.Due
		}
	}
	return due
}
