package health

import "fmt"

// Signal is one kind of thing that happened to a number's message, counted per day.
type Signal int

// Signals. The names (Signal.String) are the fields of the Redis daily bucket.
const (
	Sent          Signal = iota // a campaign message Meta accepted
	Delivered                   // a delivered status
	Read                        // a read status
	Replied                     // the recipient answered
	Undeliverable               // failed with 131026 (not on WhatsApp, old app, ...)
	SpamLimit                   // failed with 131048 (Meta's spam rate limit)
	Restricted                  // failed with 131031 or 368 (the number is restricted)
	OptOut                      // an opt-out word, or Meta's user_preferences marketing stop
	Negative                    // a negative reply (Phrases)
	Block                       // a block or report, where Meta tells it
	numSignals
)

var signalNames = [numSignals]string{"sent", "delivered", "read", "replied", "undeliverable", "spam_limit",
	"restricted", "opt_out", "negative", "block"}

// String names the signal.
func (s Signal) String() string {
	if s >= 0 && s < numSignals {
		return signalNames[s]
	}
	return fmt.Sprintf("signal(%d)", int(s))
}

// ParseSignal returns the signal named name.
func ParseSignal(name string) (Signal, bool) {
	for i, n := range signalNames {
		if n == name {
			return Signal(i), true
		}
	}
	return 0, false
}

// FailureSignal returns the signal of a failed send's error code (131050, the recipient's
// marketing stop, is an opt-out), and false for codes that say nothing about the number's
// quality — 131049 above all: the per-user marketing cap is the recipient's, across every
// business, not our doing.
func FailureSignal(code int) (Signal, bool) {
	switch code {
	case 131026:
		return Undeliverable, true
	case 131048:
		return SpamLimit, true
	case 131031, 368:
		return Restricted, true
	case 131050:
		// The recipient turned off this business's marketing messages: an opt-out Meta
		// tells through the send, as user_preferences tells it through a webhook.
		return OptOut, true
	}
	return 0, false
}

// Counts are one number's signals on one day.
type Counts [numSignals]int

// Add returns c plus o.
func (c Counts) Add(o Counts) Counts {
	for i := range c {
		c[i] += o[i]
	}
	return c
}

// Get returns the count of s.
func (c Counts) Get(s Signal) int { return c[s] }
