package chat

import "time"

// DeliveryState is how far an outbound message got. States only move forward (see Rank):
// Meta's status webhooks arrive out of order, and a late "delivered" must not undo a
// "read".
type DeliveryState string

// Delivery states of an outbound message.
const (
	// StateQueued: committed in the contact's outbox, not yet accepted by Meta.
	StateQueued DeliveryState = "queued"
	// StateSent: Meta accepted it and gave it a wamid.
	StateSent DeliveryState = "sent"
	// StateDelivered: it reached the customer's phone.
	StateDelivered DeliveryState = "delivered"
	// StateRead: the customer opened it.
	StateRead DeliveryState = "read"
	// StateFailed: it was given up, by the sender (a permanent error, or retries that ran
	// out) or by Meta after it was accepted (a failed status webhook).
	StateFailed DeliveryState = "failed"
)

// Rank orders the states: a state replaces another only with a higher rank. Failed ranks
// highest: a failure reported after "sent" is the truth about the message. An unknown
// state ranks -1.
func (s DeliveryState) Rank() int {
	switch s {
	case StateQueued:
		return 0
	case StateSent:
		return 1
	case StateDelivered:
		return 2
	case StateRead:
		return 3
	case StateFailed:
		return 4
	}
	return -1
}

// Delivery is the delivery state of one outbound (or agent) history event, as the history
// export shows it.
type Delivery struct {
	State DeliveryState `json:"state,omitempty"`
	// Wamid is the id Meta gave the message when it accepted it.
	Wamid string `json:"wamid,omitempty"`
	// Number is the business number the message was (or was to be) sent from.
	Number NumberID `json:"number,omitempty"`
	// At is when the message reached its state (Meta's time for webhook states).
	At time.Time `json:"at,omitzero"`
	// ErrorCode, ErrorClass and ErrorTitle say why a failed message failed: Meta's code
	// (0 for a failure that is not Meta's answer: a network error, a refusal of our own),
	// its class (whatsapp.Class as text) and Meta's title or our reason.
	ErrorCode  int    `json:"error_code,omitempty"`
	ErrorClass string `json:"error_class,omitempty"`
	ErrorTitle string `json:"error_title,omitempty"`
}
