package config

import (
	"log/slog"
	"time"

	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/routing"
	"github.com/wasla/wasla/store"
)

// Defaults of the keys a file may leave out.
const (
	DefaultListen          = ":8080"
	DefaultGraphURL        = "https://graph.facebook.com"
	DefaultGraphVersion    = "v25.0"
	DefaultThroughput      = numbers.DefaultThroughput // messages per second, Meta's default per number
	DefaultPolicy          = PolicyLink
	DefaultRedirectEvery   = routing.DefaultRedirectEvery
	DefaultWorkers         = 16
	DefaultTimerInterval   = time.Second
	DefaultRefreshInterval = 5 * time.Second
	DefaultReloadInterval  = 2 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultShedLag         = 5 * time.Second
	DefaultRefuseDepth     = 100_000
	DefaultSessionIdle     = store.DefaultSessionTTL
	DefaultDedupePeriod    = store.DefaultDedupePeriod // the span over which Meta retries a webhook
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
)

// Role is what a business number is for: the number registry's roles, named once in
// package numbers so the configuration and the registry cannot drift apart.
type Role = numbers.Role

// Number roles.
const (
	RoleInbox    = numbers.RoleInbox
	RoleCampaign = numbers.RoleCampaign
)

// Policy says how a reply that lands on a campaign number reaches the central inbox
// (PRODUCT.md, "Routing into the central inbox"); see numbers.Policy.
type Policy = numbers.Policy

// Routing policies.
const (
	PolicyLink   = numbers.PolicyLink
	PolicyBridge = numbers.PolicyBridge
	PolicyHold   = numbers.PolicyHold
)

// Config is a validated serve configuration with every default filled in.
type Config struct {
	// File is the path the configuration was read from.
	File string
	// Listen is the HTTP listen address (host:port).
	Listen string
	// Redis is the Redis URL; empty means the embedded in-memory store. It is a Secret
	// because URLs carry passwords.
	Redis Secret
	// Flows is the folder (or file) of flow YAML, made absolute against the config file's
	// folder.
	Flows string
	// Log says how the server logs.
	Log Log
	// WhatsApp holds the Meta app's credentials and the Graph API location.
	WhatsApp WhatsApp
	// Numbers are the business numbers, in file order; exactly one has RoleInbox.
	Numbers []Number
	// Routing says how replies to campaign numbers move to the inbox number.
	Routing Routing
	// Campaigns override Routing per campaign, in file order; each is named by at least
	// one campaign number's Campaign.
	Campaigns []Campaign
	// Limits tune the server's workers and loops.
	Limits Limits
	// State says how long Redis keeps what: sessions, history, message ids.
	State State
	// Metrics says where /metrics is served.
	Metrics Metrics
	// Admin protects the admin API.
	Admin Admin
	// HTTPSteps bounds the flows' http steps.
	HTTPSteps HTTPSteps
	// Expressions bounds each evaluation of a flow expression or template.
	Expressions Expressions
	// InboxFile is the agents' inbox file (agents, queues, canned replies; docs/inbox.md), made
	// absolute against the config file's folder; empty: no inbox is served.
	InboxFile string
	// Health configures the number health loop and policy.
	Health Health
	// Outbox shapes the retries of replies that could not be sent yet.
	Outbox Outbox
	// Pacing holds the campaign pacing defaults; Rates the price table of the campaigns'
	// cost (empty: cost is not estimated).
	Pacing Pacing
	Rates  Rates
}

// Defaults of the outbox section.
const (
	// DefaultOutboxRetryFirst is the wait before a failed reply's second attempt.
	DefaultOutboxRetryFirst = 2 * time.Second
	// DefaultOutboxRetryMax caps the wait between attempts.
	DefaultOutboxRetryMax = 5 * time.Minute
	// DefaultOutboxGiveUpAfter is the 24-hour customer service window: a free-form reply
	// older than that can no longer be delivered.
	DefaultOutboxGiveUpAfter = 24 * time.Hour
	// DefaultOutboxLease is how long a replica holds a contact's outbox without renewing
	// it: after a crash, the replies it was sending wait this long for another replica.
	DefaultOutboxLease = store.DefaultSendLease
)

// Outbox shapes how replies that failed for a reason that may pass (network errors, 5xx,
// throughput limits) are tried again, and how the outbox is shared by replicas.
type Outbox struct {
	// RetryFirst is the wait before the second attempt; each later one doubles it, up to
	// RetryMax, with jitter (each wait between half and all of it).
	RetryFirst, RetryMax time.Duration
	// GiveUpAfter is how long after its commit a reply is still tried; then it is failed
	// and listed by `wasla outbox failed`.
	GiveUpAfter time.Duration
	// Lease is how long a replica holds a contact's outbox without renewing it.
	Lease time.Duration
}

// Log configures the server's log output.
type Log struct {
	Level  slog.Level // debug, info, warn, error
	Format string     // text or json
}

// WhatsApp is the Meta app and Graph API configuration.
type WhatsApp struct {
	// AppSecret keys the HMAC of X-Hub-Signature-256.
	AppSecret Secret
	// VerifyToken is the string Meta echoes in the GET verification handshake.
	VerifyToken Secret
	// GraphURL and GraphVersion locate the Graph API (overridable for tests and proxies).
	GraphURL     string
	GraphVersion string
	// MarkRead marks each inbound message as read when a worker takes it.
	MarkRead bool
}

// Number is one business phone number.
type Number struct {
	// ID is Meta's phone number id, the key webhooks and the send API use.
	ID string
	// Display is the number as users see it (digits, optionally with + and spaces).
	Display    string
	Role       Role
	WABA       string // WhatsApp Business Account id
	Portfolio  string // business portfolio id
	Token      Secret // access token for the Graph API
	Throughput int    // messages per second
	// Campaign names the campaign this number sends, so replies to it can be told apart
	// (campaign numbers only; optional).
	Campaign string
	// Policy is the routing policy of replies to this number (campaign numbers only). Load
	// fills it for every campaign number: the number's own policy, else its campaign's, else
	// Routing.DefaultPolicy.
	Policy Policy
	// Line is where the number is declared, for messages about it.
	Line int
	// Ramp is this campaign number's own warm-up ramp; nil: pacing.ramp.
	Ramp []int
}

// Template names an approved WhatsApp template and its body parameters.
type Template struct {
	Name     string
	Language string
	Params   []string
}

// IsSet reports whether a template is configured.
func (t Template) IsSet() bool { return t.Name != "" }

// Routing configures how conversations move into the central inbox.
type Routing struct {
	// DefaultPolicy applies to campaign numbers without their own policy.
	DefaultPolicy Policy
	// LinkText is the short answer the link policy sends from a campaign number; {link} in
	// it becomes the inbox number's wa.me link. Empty: the routing layer's default text.
	LinkText string
	// LinkPrefill is the text the wa.me link puts in the customer's message box on the
	// inbox number; empty: none.
	LinkPrefill string
	// BridgeTemplate is the template the inbox number opens a bridged conversation with;
	// required when any number uses the bridge policy.
	BridgeTemplate Template
	// WindowTemplate replaces a free-form message that falls outside the 24-hour window;
	// without it such a message is refused and recorded.
	WindowTemplate Template
	// RedirectEvery is how often, at most, a customer who keeps writing to a campaign
	// number under the link or bridge policy gets the link to the inbox again.
	RedirectEvery time.Duration
}

// Campaign is one campaign's routing: each field set here replaces routing's for the
// campaign's numbers; an empty field keeps routing's. A number's own policy wins over
// Policy.
type Campaign struct {
	// Name is the campaign name numbers give in `campaign:`.
	Name           string
	Policy         Policy
	LinkText       string
	LinkPrefill    string
	BridgeTemplate Template
	WindowTemplate Template
	// Line is where the campaign is declared.
	Line int
}

// Campaign returns the campaign named name, and whether the file declares it.
func (c *Config) Campaign(name string) (Campaign, bool) {
	for _, cp := range c.Campaigns {
		if cp.Name == name {
			return cp, true
		}
	}
	return Campaign{}, false
}

// State says how long Redis keeps sessions, history and the ids of handled messages.
type State struct {
	// SessionIdle is how long an idle conversation (flow, step, variables) is kept; the
	// contact's profile and history stay. 0: sessions never expire.
	SessionIdle time.Duration
	// HistoryRetention is how long history entries are kept; 0: forever. An entry inside
	// it is never dropped.
	HistoryRetention time.Duration
	// DedupePeriod is how long the id of every handled message is remembered, so that a
	// webhook Meta delivers again is answered once. 0 turns deduplication off.
	DedupePeriod time.Duration
}

// Limits tune the server's loops.
type Limits struct {
	// Workers is how many inbound messages are handled at once (of different contacts).
	Workers int
	// TimerInterval is how often due timers (burst answers, ask timeouts, waits) are run.
	TimerInterval time.Duration
	// RefreshInterval is how often the number registry re-reads every number's quality
	// and status from Redis, so a ban another replica applied is seen here; 0 disables it.
	RefreshInterval time.Duration
	// ReloadInterval is how often the flows folder is checked for changed files; 0
	// disables the check (SIGHUP still reloads).
	ReloadInterval time.Duration
	// ShutdownTimeout bounds a graceful shutdown.
	ShutdownTimeout time.Duration
	// ShedLag and ShedDepth are the reply lag and intake depth from which optional work
	// (marks as read) is shed; RefuseLag and RefuseDepth those from which webhooks are
	// answered 503 with Retry-After for Meta to deliver again later. 0: never.
	ShedLag, RefuseLag     time.Duration
	ShedDepth, RefuseDepth int
	// WebhookConcurrency bounds the webhook POSTs handled at once; 0: sixteen per CPU.
	WebhookConcurrency int
}

// Inbox returns the inbox number.
func (c *Config) Inbox() Number {
	for _, n := range c.Numbers {
		if n.Role == RoleInbox {
			return n
		}
	}
	return Number{}
}

// LogValue describes the configuration for a start-up log line without any secret.
func (c *Config) LogValue() slog.Value {
	campaign := 0
	for _, n := range c.Numbers {
		if n.Role == RoleCampaign {
			campaign++
		}
	}
	redis := "embedded"
	if c.Redis.IsSet() {
		redis = "configured"
	}
	return slog.GroupValue(
		slog.String("file", c.File),
		slog.String("listen", c.Listen),
		slog.String("redis", redis),
		slog.String("flows", c.Flows),
		slog.String("graph", c.WhatsApp.GraphURL+"/"+c.WhatsApp.GraphVersion),
		slog.Int("campaign_numbers", campaign),
		slog.Int("campaigns", len(c.Campaigns)),
		slog.String("default_policy", string(c.Routing.DefaultPolicy)),
		// Without admin.token the admin API's routes answer 404; say so at start.
		slog.Bool("admin_api", c.Admin.Token.IsSet()),
	)
}
