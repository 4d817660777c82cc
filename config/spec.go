package config

import (
	"sync"

	"github.com/wasla/wasla/yamlfile"
)

// FormatSpec returns the configuration file format: the single source of truth for the
// loader's key checks and for schema/config.schema.json. The value is shared and must not
// be changed.
func FormatSpec() *yamlfile.Spec { return formatSpec() }

var formatSpec = sync.OnceValue(buildSpec)

// Patterns of configuration values, shared by the loader and the schema.
const (
	patternDigits       = `^[0-9]+$`
	patternRedis        = `^(rediss?://.*)?$`
	patternGraphVersion = `^v[0-9]+\.[0-9]+$`
)

func buildSpec() *yamlfile.Spec {
	text := func(doc string) *yamlfile.Spec { return &yamlfile.Spec{Kind: yamlfile.KindString, Doc: doc} }
	digits := &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternDigits, Doc: "Digits only."}
	policy := &yamlfile.Spec{Kind: yamlfile.KindString, Def: "policy",
		Enum: []string{string(PolicyLink), string(PolicyBridge), string(PolicyHold)},
		Doc:  "How a reply on a campaign number reaches the inbox: link (a wa.me link to the inbox), bridge (the inbox opens the conversation with a template) or hold (the campaign number keeps it)."}
	duration := func(allowZero bool, doc string) *yamlfile.Spec {
		return &yamlfile.Spec{Kind: yamlfile.KindDuration, AllowZero: allowZero, Doc: doc}
	}
	template := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "template", Doc: "An approved WhatsApp template.", Fields: []*yamlfile.Field{
		{Name: "name", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Why: "the approved template's name", Doc: "The approved template's name."},
		{Name: "language", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Why: "the template's language code, such as ar or en_US", Doc: "The template's language code, such as ar or en_US."},
		{Name: "params", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: text("")}, Doc: "Body parameters {{1}}, {{2}}, ... in order."},
	}}
	linkText := &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `\{link\}`, Doc: "The reply that carries the link; must contain {link}, the wa.me link to the inbox number."}
	routingFields := func(policyDoc string) []*yamlfile.Field {
		return []*yamlfile.Field{
			{Name: "link_text", Spec: linkText, Doc: linkText.Doc},
			{Name: "link_prefill", Spec: text(""), Doc: "Text the link puts in the customer's message box."},
			{Name: "bridge_template", Spec: template, Doc: "The template the inbox number opens a bridged conversation with; needed wherever the policy is bridge."},
			{Name: "window_template", Spec: template, Doc: "The template sent when the 24-hour window is closed."},
		}
	}
	routing := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "routing", Doc: "How replies on campaign numbers reach the central inbox.",
		Fields: append([]*yamlfile.Field{
			{Name: "default_policy", Spec: policy, Default: string(DefaultPolicy), Doc: "The policy of campaign numbers and campaigns without their own."},
		}, append(routingFields(""),
			&yamlfile.Field{Name: "redirect_every", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultRedirectEvery),
				Doc: "Under link and bridge, a customer who keeps writing to the campaign number gets the link to the inbox again at most this often; replies in between are recorded, not sent."})...)}
	campaign := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "campaign", Doc: "The routing one campaign overrides.",
		Fields: append([]*yamlfile.Field{
			{Name: "policy", Spec: policy, Doc: "The policy of this campaign's numbers without their own."},
		}, routingFields("")...)}
	steps := &yamlfile.Spec{Kind: yamlfile.KindList, Def: "ramp", MinItems: 1, Elem: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)},
		Doc: "A warm-up ramp: daily caps, one step per clean day; the last holds once reached; 0 (last only) means no cap."}
	percent := &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^[0-9]+(\.[0-9]+)?%$`, Doc: "A percentage such as 2%."}
	pacingSpec := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "pacing", Doc: "Campaign pacing defaults; a campaign file's own keys win over them. Meta changes the platform's numbers: keep them current.", Fields: []*yamlfile.Field{
		{Name: "ramp", Spec: steps, Default: "[50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 0]", Doc: "The default warm-up ramp of campaign numbers."},
		{Name: "tiers", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, KeyDoc: "a messaging-limit tier as the Graph API names it (TIER_2K)", Elem: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}},
			Doc: "Unique contacts a portfolio may reach outside a window per rolling 24 hours, by tier (0: unlimited), over the built-in TIER_250 250, TIER_2K 2000, TIER_10K 10000, TIER_100K 100000, TIER_UNLIMITED 0."},
		{Name: "default_tier", Spec: text(""), Default: "TIER_250", Doc: "The tier of a portfolio whose campaign file names none."},
		{Name: "canary", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "pacing.canary", Doc: "The default canary.", Fields: []*yamlfile.Field{
			{Name: "share", Spec: percent, Default: "2%", Doc: "The first slice's share of the audience; 0% turns the canary off."},
			{Name: "min", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: 50, Doc: "The fewest contacts in the slice."},
			{Name: "max", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: 500, Doc: "The most contacts in the slice; 0: no bound."},
			{Name: "pause", Spec: duration(true, ""), Default: "6h", Doc: "The wait after the slice, for Meta's template pacing and early feedback."},
		}}, Doc: "The default canary: first slice and pause."},
		{Name: "hours", Spec: text(""), Default: "daily 09:00-21:00", Doc: "The default sending hours in the contact's time zone; empty: any time."},
		{Name: "zone", Spec: text(""), Default: "UTC", Doc: "The default business time zone (IANA): its midnight starts a number's day."},
		{Name: "pair_rate", Spec: duration(true, ""), Default: "6s", Doc: "The least time between two messages from one number to one recipient (Meta's pair rate limit, error 131056); 0 turns the check off."},
	}}
	ratesSpec := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "rates", Doc: "The price of a delivered message by pricing category and market, for the campaigns' cost. Meta changes rates; these are yours to keep current.", Fields: []*yamlfile.Field{
		{Name: "currency", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^[A-Z]{3}$`}, Doc: "The ISO 4217 code of the prices, such as USD."},
		{Name: "prices", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, Key: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"marketing", "utility", "authentication", "service"}}, KeyDoc: "a pricing category",
			Elem: &yamlfile.Spec{Kind: yamlfile.KindMap, KeyDoc: "an ISO country code, or * for every other market", Elem: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^[0-9]+(\.[0-9]{1,6})?$`}}},
			Doc: "Prices by category (the status webhook's pricing.category), then by the recipient's country code; * prices every market not listed."},
	}}
	number := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "number", Doc: "A business number.", Fields: []*yamlfile.Field{
		{Name: "id", Spec: digits, Required: true, Why: "Meta's phone number id", Doc: "Meta's phone number id (digits only)."},
		{Name: "display", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^\+?[0-9 -]+$`}, Required: true, Why: "the number as users see it, such as +966 50 123 4567", Doc: "The number as users see it, such as +966 50 123 4567."},
		{Name: "role", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{string(RoleInbox), string(RoleCampaign)}}, Required: true, Why: "inbox or campaign",
			Doc: "inbox: the one central number conversations are routed to; campaign: a replaceable number that sends campaigns."},
		{Name: "waba", Spec: digits, Required: true, Why: "the WhatsApp Business Account id", Doc: "The WhatsApp Business Account id (digits only)."},
		{Name: "portfolio", Spec: text(""), Doc: "The business portfolio id; messaging limits are shared by all numbers of a portfolio."},
		{Name: "token", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Why: "the Graph API access token", Doc: "The Graph API access token; write ${NAME} to read it from the environment."},
		{Name: "throughput", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(1)}, Default: DefaultThroughput, Doc: "Messages per second this number may send, shared by all replicas through Redis."},
		{Name: "campaign", Spec: text(""), Doc: "The campaign this campaign number sends; its replies carry the name."},
		{Name: "policy", Spec: policy, Doc: "This campaign number's policy; default: its campaign's, else routing.default_policy."},
		{Name: "ramp", Spec: steps, Doc: "This campaign number's own warm-up ramp, over pacing.ramp; a campaign file's number ramp wins over it."},
	}}
	return &yamlfile.Spec{Kind: yamlfile.KindObject, What: "the configuration", Expand: true, EmptyIsMapping: true,
		Doc: "The configuration of wasla serve. Secrets come from the environment: ${NAME} is replaced by the variable's value, ${NAME:-default} gives a default, $${ is a literal ${. See docs/config.md.",
		Fields: []*yamlfile.Field{
			{Name: "listen", Spec: text(""), Default: DefaultListen, Doc: "host:port or :port of the webhook, health and metrics endpoints."},
			{Name: "redis", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternRedis}, Doc: "A redis:// or rediss:// URL; empty or left out: an embedded in-memory store that forgets everything at exit."},
			{Name: "flows", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Doc: "The folder of flow files, relative to this file."},
			{Name: "inbox", Spec: text(""), Doc: "The agents' inbox file (agents, token hashes, queues, canned replies, SLA), relative to this file; left out: no inbox. See docs/inbox.md."},
			{Name: "log", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "log", Doc: "Logging.", Fields: []*yamlfile.Field{
				{Name: "level", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"debug", "info", "warn", "error"}}, Default: DefaultLogLevel, Doc: "The least level logged."},
				{Name: "format", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"text", "json"}}, Default: DefaultLogFormat, Doc: "text or json lines."},
			}}, Doc: "Logging: level and format."},
			{Name: "whatsapp", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "whatsapp", Doc: "The WhatsApp Cloud API.", Fields: []*yamlfile.Field{
				{Name: "app_secret", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Doc: "The app secret that signs every webhook (X-Hub-Signature-256)."},
				{Name: "verify_token", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Doc: "The token Meta sends in the webhook verification handshake."},
				{Name: "graph_url", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^https?://[^/]`}, Default: DefaultGraphURL, Doc: "The Graph API's base URL: a proxy or a fake in tests."},
				{Name: "graph_version", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternGraphVersion}, Default: DefaultGraphVersion, Doc: "The Graph API version."},
				{Name: "mark_read", Spec: &yamlfile.Spec{Kind: yamlfile.KindBool}, Default: false, Doc: "Mark each inbound message as read (blue ticks) when a worker takes it."},
			}}, Required: true, Doc: "The WhatsApp Cloud API: app_secret and verify_token."},
			{Name: "numbers", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: number, MinItems: 1}, Required: true,
				Doc: "The business numbers; exactly one has role inbox."},
			{Name: "routing", Spec: routing, Doc: routing.Doc},
			{Name: "campaigns", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, KeyDoc: "a campaign name", Elem: campaign}, Doc: "Routing per campaign, keyed by the campaign name its numbers send."},
			{Name: "limits", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "limits", Doc: "Workers and intervals.", Fields: []*yamlfile.Field{
				{Name: "workers", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(1)}, Default: DefaultWorkers, Doc: "Inbound messages handled at once; one customer's messages always one at a time, in order."},
				{Name: "timer_interval", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultTimerInterval), Doc: "How often due timers run: burst answers, ask timeouts, wait steps, hand-off returns."},
				{Name: "refresh_interval", Spec: duration(true, ""), Default: yamlfile.FormatDuration(DefaultRefreshInterval), Doc: "How often the number states are re-read from Redis, so a ban applied by another replica is seen here; 0 disables it."},
				{Name: "reload_interval", Spec: duration(true, ""), Default: yamlfile.FormatDuration(DefaultReloadInterval), Doc: "How often the flows folder is checked for added, removed or changed files; 0 disables the check (SIGHUP still reloads)."},
				{Name: "shutdown_timeout", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultShutdownTimeout), Doc: "How long a graceful shutdown may take."},
				{Name: "shed_lag", Spec: duration(true, ""), Default: yamlfile.FormatDuration(DefaultShedLag), Doc: "When replies wait this long in the outbox, optional work (marks as read) is skipped so the number's throughput goes to replies; 0: never."},
				{Name: "shed_depth", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: 0, Doc: "When this many inbound messages wait in the intake, optional work is skipped as with shed_lag; 0: never."},
				{Name: "refuse_lag", Spec: duration(true, ""), Default: "0s", Doc: "When replies wait this long in the outbox, a share of webhooks rising from none to all at twice the bound is answered 503 with Retry-After, and Meta delivers them again later (it retries for up to 7 days); 0: never."},
				{Name: "refuse_depth", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: DefaultRefuseDepth, Doc: "When this many inbound messages wait in the intake, webhooks are refused as with refuse_lag; 0: never."},
				{Name: "webhook_concurrency", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: 0, Doc: "Webhook POSTs handled at once, so a flood cannot take the workers' CPU; one that finds no slot within a second is answered 503. 0: sixteen per CPU."},
			}}, Doc: "Workers and intervals."},
			{Name: "metrics", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "metrics", Doc: "Where /metrics is served; with neither key it is not served.", Fields: []*yamlfile.Field{
				{Name: "token", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "The bearer token a scrape must send (Authorization: Bearer); write ${NAME} to read it from the environment."},
				{Name: "listen", Spec: text(""), Doc: "host:port or :port of a listener of its own for /metrics, apart from the webhook's."},
			}}, Doc: "Where /metrics is served: with a token, on its own address, or not at all."},
			{Name: "admin", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "admin", Doc: "The admin HTTP API (/api/campaigns).", Fields: []*yamlfile.Field{
				{Name: "token", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "The bearer token every admin request must send (Authorization: Bearer); write ${NAME} to read it from the environment. Without it the admin API is not served."},
			}}, Doc: "The admin HTTP API: its bearer token."},
			{Name: "http_steps", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "http_steps", Doc: "What the flows' http steps may do.", Fields: []*yamlfile.Field{
				{Name: "max_body", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^(?i)[0-9]+\s*(b|kb|kib|mb|mib)?$`}, Default: "1MiB", Doc: "The most bytes of an answer a step reads, such as 1048576, 512KiB or 2MiB; a longer answer fails the step."},
				{Name: "max_redirects", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: DefaultHTTPMaxRedirects, Doc: "How many redirects a step follows, at most 10 (never to another scheme); 0 follows none."},
				{Name: "block_internal", Spec: &yamlfile.Spec{Kind: yamlfile.KindBool}, Default: true, Doc: "Refuse connections to loopback, private, link-local (cloud metadata) and other non-public addresses."},
				{Name: "allow_hosts", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: text("")}, Doc: "Host names (or host:port) a step may reach even when they resolve to an internal address: the business's own backend."},
			}}, Doc: "Limits and the internal-address guard of http steps."},
			{Name: "expressions", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "expressions", Doc: "The budget of each evaluation of a flow expression or template; going over is a run-time error for that one conversation.", Fields: []*yamlfile.Field{
				{Name: "timeout", Spec: duration(false, ""), Default: "100ms", Doc: "The longest one evaluation may run."},
				{Name: "max_size", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^(?i)[0-9]+\s*(b|kb|kib|mb|mib)?$`}, Default: "64KiB", Doc: "The largest text one evaluation may build, at most 64MiB."},
				{Name: "max_items", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(1)}, Default: 100000, Doc: "The most list items, map entries and range elements one evaluation may create."},
			}}, Doc: "The budget of each evaluation of a flow expression or template."},
			{Name: "pacing", Spec: pacingSpec, Doc: pacingSpec.Doc},
			{Name: "rates", Spec: ratesSpec, Doc: ratesSpec.Doc},
			{Name: "state", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "state", Doc: "How long contact state is kept.", Fields: []*yamlfile.Field{
				{Name: "session_idle", Spec: duration(true, ""), Default: yamlfile.FormatDuration(DefaultSessionIdle), Doc: "A conversation idle this long is forgotten; a pending timer keeps it until the timer has fired; 0: never."},
				{Name: "history_retention", Spec: duration(true, ""), Doc: "How long history entries are kept; 0 keeps them forever."},
				{Name: "dedupe_period", Spec: duration(true, ""), Default: yamlfile.FormatDuration(DefaultDedupePeriod), Doc: "How long the id of every handled message is remembered, so a webhook Meta delivers again is answered once; 0 turns deduplication off."},
			}}, Doc: "How long contact state is kept."},
			{Name: "health", Spec: healthSpec(), Doc: "Number health: the Graph API poll, the policy's thresholds, negative phrases and the operator's webhook."},
			{Name: "outbox", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "outbox", Doc: "How replies that could not be sent yet are tried again (docs/delivery.md).", Fields: []*yamlfile.Field{
				{Name: "retry_first", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultOutboxRetryFirst), Doc: "The wait before a reply's second attempt after a failure that may pass (network error, 5xx, throughput limit); each later wait doubles, with jitter."},
				{Name: "retry_max", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultOutboxRetryMax), Doc: "The longest wait between two attempts; at least retry_first."},
				{Name: "give_up_after", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultOutboxGiveUpAfter), Doc: "How long after its commit a reply is still tried; then it is failed and listed by `wasla outbox failed`. Free-form text cannot reach a customer more than 24h after their last message, so longer only helps templates."},
				{Name: "lease", Spec: duration(false, ""), Default: yamlfile.FormatDuration(DefaultOutboxLease), Doc: "How long a replica holds a contact's outbox without renewing it: after a crash its replies wait this long for another replica; at least 1s."},
			}}, Doc: "How replies that could not be sent yet are tried again, and how long a replica holds a contact's outbox."},
		}}
}
