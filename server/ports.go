package server

import (
	"context"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/store"
)

// The server consumes the small interfaces below; Build fills them with the Redis store,
// the number registry and the engine, and tests with fakes.

// Intake is the durable per-contact queue between the webhook and the workers.
// Implementations are safe for concurrent use.
type Intake interface {
	// Push records msgs durably; when it returns nil they survive a crash of this
	// process, so the webhook may answer 200.
	Push(ctx context.Context, msgs []chat.Inbound) error
	// Run hands queued messages to handle with at most workers at once, one at a time per
	// contact and in arrival order, until ctx is done; it returns after the handlers it
	// started have returned. Each message comes with the intake's transaction over its
	// contact, which the engine loads and commits through.
	Run(ctx context.Context, workers int, handle store.Handler) error
	// Depth returns how many messages wait.
	Depth(ctx context.Context) (int64, error)
}

// Outbox sends the replies that commits queued with the state they came from;
// *store.Outbox implements it.
type Outbox interface {
	// Run hands queued replies to deliver, at most workers contacts at once, each contact's
	// in order, until ctx is done; it returns after the deliveries it started have ended.
	Run(ctx context.Context, workers int, deliver store.Deliver) error
}

// Sender sends one reply through the Graph API; *sending.Sender implements it.
type Sender interface {
	// Attempt sends msg once; it records nothing.
	Attempt(ctx context.Context, msg chat.Outbound) (string, error)
	// RecordFailure records in the contact's history that msg was given up because of err.
	RecordFailure(ctx context.Context, msg chat.Outbound, err error) error
}

// Engine runs the flows; *engine.Engine implements it.
type Engine interface {
	Receive(ctx context.Context, tx engine.Tx, in chat.Inbound) error
	RunDue(ctx context.Context) (int, error)
	// FireDue fires one contact's due timers and says whether one was due.
	FireDue(ctx context.Context, id chat.ContactID) (bool, error)
	SetFlows(set *flows.Set)
}

// Contacts maps the ids a webhook names a user by to the contact key their history and
// session live under, so a user who hides their phone number (only user_id) and the same
// user with a wa_id are one contact.
type Contacts interface {
	ResolveContact(ctx context.Context, waID, userID string) (chat.ContactID, error)
	// ResolveContacts does the same for many messages in one round trip; waIDs[i] and
	// userIDs[i] belong to message i.
	ResolveContacts(ctx context.Context, waIDs, userIDs []string) ([]chat.ContactID, error)
}

// History appends events to a contact's history outside a flow run: a send that failed
// later in a status webhook. Append must be idempotent for a repeated event (Meta
// delivers webhooks at least once) or the duplicate harmless.
type History interface {
	Append(ctx context.Context, ev chat.Event) error
}

// Preferences records an opt-out (out) or opt-in that came as a webhook, not as a
// message; *engine.Engine implements it.
type Preferences interface {
	SetOptedOut(ctx context.Context, id chat.ContactID, out bool, detail string) error
}

// Numbers is the business number registry: it takes quality, restriction and ban
// webhooks and refreshes numbers from the Graph API.
type Numbers interface {
	// Apply updates the registry from a quality or account webhook event.
	Apply(ctx context.Context, ev whatsapp.Event) error
	// Refresh re-reads quality and status of every number.
	Refresh(ctx context.Context) error
	// States returns each number's current quality and state, for /metrics.
	States(ctx context.Context) ([]NumberState, error)
	// Campaign returns the campaign a number sends, "" for none.
	Campaign(id chat.NumberID) string
}

// NumberState is one number's quality and state as /metrics shows them.
type NumberState struct {
	Number  chat.NumberID
	Role    string
	Quality string // GREEN, YELLOW, RED, UNKNOWN
	State   string // CONNECTED, FLAGGED, RESTRICTED, BANNED, ...
}

// Statuses acts on delivery status webhooks: a failed one with a restricted-class error
// marks the sending number restricted.
type Statuses interface {
	ApplyStatus(ctx context.Context, st *whatsapp.Status) error
}

// Pinger checks that Redis answers and accepts writes.
type Pinger interface {
	Ping(ctx context.Context) error
}

// MarkReader marks an inbound message read on the number that received it.
type MarkReader interface {
	MarkRead(ctx context.Context, number chat.NumberID, messageID string) error
}

// Inbox is the agents' inbox; *inbox.Inbox implements it.
type Inbox interface {
	// APIRoutes mounts the JSON API (the routes check the agent's token themselves).
	APIRoutes(r chi.Router)
	// Collectors are the inbox's metrics, served on /metrics.
	Collectors() []prometheus.Collector
	// WatchTx wraps an intake transaction so that its commit also updates the inbox.
	WatchTx(tx engine.Tx) engine.Tx
}
