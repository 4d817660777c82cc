package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/runner"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/inbox"
	"github.com/wasla/wasla/inbox/web"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/routing"
	"github.com/wasla/wasla/sending"
	"github.com/wasla/wasla/store"
)

// EmbeddedWarning is logged at start-up when no Redis is configured.
const EmbeddedWarning = "NO REDIS CONFIGURED: running on an embedded in-memory store; every session, history and queued message is LOST when this process exits. Set `redis:` in the config for production."

// BuildOptions adjust Build for tests and embedding. Zero values are the production
// choices.
type BuildOptions struct {
	Logger *slog.Logger
	// Clock is the engine's and the store's time (default: the wall clock).
	Clock clock.Clock
	// HTTP sends Graph API requests (default: whatsapp.NewHTTPClient).
	HTTP *http.Client
	// Tick starts the loops' tickers (default: time.NewTicker).
	Tick Ticker
	// Retry is the Graph API client's backoff policy (default: whatsapp.DefaultRetry).
	Retry whatsapp.RetryPolicy
}

// Build wires a server from a configuration: Redis (or the embedded store, with a loud
// warning), the flows, the store and its intake, the number registry, the router, the
// Graph API sender and the engine. It returns the server and a function that releases
// what Build opened; the caller calls it after Run returned. A configuration problem that
// only the wiring finds (number list, routing policies, flows) is returned as
// config.Diagnostics or flows.Diagnostics, positioned in its file.
func Build(ctx context.Context, cfg *config.Config, opts BuildOptions) (*Server, func(), error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}

	set, diags := flows.Load(cfg.Flows)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	for _, d := range diags {
		log.Warn(d.String())
	}
	for _, w := range campaignTriggerWarnings(set, cfg) {
		log.Warn(w)
	}

	client, closeRedis, err := openRedis(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if w := streamNodeWarning(ctx, client); w != "" {
		log.Warn(w)
	}
	ok := false
	defer func() {
		if !ok {
			closeRedis()
		}
	}()

	storeOpts := store.Options{Clock: clk, Logger: log,
		SessionTTL: orNever(cfg.State.SessionIdle), Retention: cfg.State.HistoryRetention,
		DedupePeriod: orNever(cfg.State.DedupePeriod), Outbox: true, SendLease: cfg.Outbox.Lease}
	st, err := store.New(client, storeOpts)
	if err != nil {
		return nil, nil, err
	}
	intake := store.NewIntakeOf(st, storeOpts)
	outbox, err := store.NewOutbox(st, 0)
	if err != nil {
		return nil, nil, err
	}

	reg, err := compose.Numbers(cfg, numbers.NewRedisStates(client, st.Prefix()), clk)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range reg.Warnings() {
		log.Warn("numbers: " + w.Message)
	}
	if err := reg.Refresh(ctx); err != nil {
		return nil, nil, fmt.Errorf("reading number states: %w", err)
	}

	metrics := NewMetrics()

	graph := &whatsapp.Client{
		BaseURL: cfg.WhatsApp.GraphURL,
		Version: cfg.WhatsApp.GraphVersion,
		HTTP:    cmp.Or(opts.HTTP, whatsapp.NewHTTPClient()),
		Retry:   opts.Retry,
		Logger:  log,
	}
	// With an inbox configured, every commit (the engine's, and the history appends of
	// failed sends) also updates the agents' inbox; late lets the inbox, built first,
	// reach the engine and the sender built after it. The inbox asks a router of its own,
	// without the metrics observer, which number a reply would leave from.
	var engStore engine.Store = st
	var ib *inbox.Inbox
	late := &lateDeps{}
	if cfg.InboxFile != "" {
		preview, err := routing.New(reg, compose.RoutingOptions(cfg, nil))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: routing: %w", cfg.File, err)
		}
		if ib, err = buildInbox(cfg, client, late, st, preview, reg, clk, log); err != nil {
			return nil, nil, err
		}
		for _, w := range inboxQueueWarnings(set, ib.Config()) {
			log.Warn("inbox: " + w)
		}
		engStore = inbox.Watch(st, ib)
	}
	// The sender records its failures through the engine, which sends through the
	// sender: history gets its engine once the engine is built, before anything runs.
	history := &storeHistory{seen: redisMarks{client: client, prefix: st.Prefix(), ttl: cmp.Or(cfg.State.DedupePeriod, config.DefaultDedupePeriod)}}
	// Each replica reserves 50 ms of a number's sends per round trip (one slot at 80/s, 50
	// at 1,000/s) rather than one round trip per send.
	limiter := sending.NewRedisLimiter(client, st.Prefix(), nil)
	limiter.Batch = sendSlotBatch
	sender, err := sending.New(sending.Options{
		Client:   graph,
		Numbers:  reg,
		Limiter:  limiter,
		Recorder: history,
		Observer: sendObserver{metrics},
		Clock:    clk,
		Logger:   log,
	})
	if err != nil {
		return nil, nil, err
	}
	// Failed status webhooks go through a sender of their own without an observer: the
	// server counts status errors itself, apart from send errors.
	statuses, err := sending.New(sending.Options{Client: graph, Numbers: reg, Clock: clk, Logger: log})
	if err != nil {
		return nil, nil, err
	}

	replies := &replyPolicies{}
	// The engine sends nothing itself: its commits queue the replies in the outbox, which
	// the server's outbox senders deliver through sender. It notes every timer it commits,
	// so the server fires it at its moment.
	timerNotes := NewTimerNotes(clk.Now)
	budget := &expr.Budget{Timeout: cfg.Expressions.Timeout, MaxSize: cfg.Expressions.MaxSize, MaxItems: cfg.Expressions.MaxItems}
	eng, err := compose.Engine(set, engStore, nil, compose.Options{
		Engine: engine.Options{Clock: clk, Logger: log, OnTimer: timerNotes.Note,
			HTTP: engine.NewHTTPClient(engine.HTTPPolicy{
				BlockInternal: cfg.HTTPSteps.BlockInternal,
				AllowHosts:    cfg.HTTPSteps.AllowHosts,
				MaxRedirects:  cfg.HTTPSteps.MaxRedirects,
			}),
			HTTPMaxBody: cfg.HTTPSteps.MaxBody,
			ExprBudget:  budget},
		Config:      cfg,
		Numbers:     reg,
		Observer:    routingObserver{metrics, log},
		ReplyPolicy: replies.policy,
	})
	if err != nil {
		return nil, nil, err
	}
	history.engine = eng
	late.eng, late.sender = eng, sender

	ctl := runner.NewControl(client, st.Prefix())
	optOuts := storeOptOuts{st}
	basePacing, err := campaignPacing(cfg)
	if err != nil {
		return nil, nil, err
	}
	rates, err := campaignRates(cfg)
	if err != nil {
		return nil, nil, err
	}
	webhookHealth := NewWebhookHealth(clk)
	owner := fmt.Sprintf("%s-%d", hostname(), os.Getpid())
	nh, err := buildHealth(cfg, client, st.Prefix(), reg, graph, func() []string { return eng.Flows().Settings.OptOutWords }, metrics, log, clk, owner)
	if err != nil {
		return nil, nil, err
	}
	camps, err := runner.New(runner.Options{Control: ctl, Sender: nh.Sender(sender), OptOuts: optOuts, Pacing: &basePacing, Rates: rates, Intake: webhookHealth, Profiles: storeProfiles{st},
		Numbers: nh.Numbers(campaignNumbers{cfg: cfg, reg: reg, clock: clk}), Clock: clk, Logger: log,
		Metrics: runner.NewMetrics(metrics.reg), Owner: owner, StopLoss: nh.StopLoss()})
	if err != nil {
		return nil, nil, err
	}
	nh.OptOuts = camps.OptOut
	replies.r = camps
	var campaignAPI, numbersAPI, outboxAPI http.Handler
	if tok := cfg.Admin.Token.Reveal(); tok != "" {
		campaignAPI = (&runner.API{Control: ctl, Token: tok, OptOuts: importOptOuts{optOuts}, Now: clk.Now, Logger: log,
			Contacts: compose.CampaignContacts{Store: st},
			Budget:   budget}).Handler()
		if numbersAPI, err = newNumbersAPI(cfg, client, clk, tok, log); err != nil {
			return nil, nil, err
		}
		outboxAPI = NewOutboxAPI(st, intake, tok, log)
	}

	d := Deps{
		Campaigns:       camps,
		CampaignAPI:     campaignAPI,
		OutboxAPI:       outboxAPI,
		DeliverFor:      cfg.Outbox.GiveUpAfter,
		RetryBase:       cfg.Outbox.RetryFirst,
		RetryMax:        cfg.Outbox.RetryMax,
		Backlog:         store.Backlog{Redis: st, Intake: intake},
		WebhookHealth:   webhookHealth,
		Logger:          log,
		AppSecret:       cfg.WhatsApp.AppSecret.Reveal(),
		VerifyToken:     cfg.WhatsApp.VerifyToken.Reveal(),
		Intake:          intake,
		Outbox:          outbox,
		Sender:          nh.Sender(sender),
		Engine:          eng,
		Redis:           redisPinger{client},
		Metrics:         metrics,
		Contacts:        st,
		History:         history,
		Preferences:     eng,
		Statuses:        statuses,
		Deliveries:      st,
		Numbers:         registry{reg, clk},
		LoadFlows:       func() (*flows.Set, flows.Diagnostics) { return flows.Load(cfg.Flows) },
		FlowsPaths:      []string{cfg.Flows},
		Workers:         cfg.Limits.Workers,
		SendWorkers:     sendWorkers(cfg),
		TimerInterval:   cfg.Limits.TimerInterval,
		RefreshInterval: cfg.Limits.RefreshInterval,
		ReloadInterval:  cfg.Limits.ReloadInterval,
		ShutdownTimeout: cfg.Limits.ShutdownTimeout,
		Tick:            opts.Tick,
		Clock:           clk,
		ReplayWindow:    cfg.State.DedupePeriod,
		MetricsToken:    cfg.Metrics.Token.Reveal(),
		MetricsAddr:     cfg.Metrics.Listen,
		TimerNotes:      timerNotes,
		Health:          nh,
		NumbersAPI:      numbersAPI,
		// The config's 0 is "never"; Deps' 0 is "the default".
		ShedLag:            orNever(cfg.Limits.ShedLag),
		RefuseLag:          orNever(cfg.Limits.RefuseLag),
		ShedDepth:          depthOrNever(cfg.Limits.ShedDepth),
		RefuseDepth:        depthOrNever(cfg.Limits.RefuseDepth),
		WebhookConcurrency: cfg.Limits.WebhookConcurrency,
	}
	if cfg.WhatsApp.MarkRead {
		d.MarkRead = markReader{sender}
	}
	if ib != nil {
		d.Inbox, d.InboxWeb = ib, web.Handler()
		d.DeliveryObserver = ib
	}
	srv, err := New(d)
	if err != nil {
		return nil, nil, err
	}
	ok = true
	return srv, closeRedis, nil
}

func openRedis(ctx context.Context, cfg *config.Config, log *slog.Logger) (redis.UniversalClient, func(), error) {
	if !cfg.Redis.IsSet() {
		client, stop, err := store.Embedded(ctx)
		if err != nil {
			return nil, nil, err
		}
		log.Warn(EmbeddedWarning)
		return client, stop, nil
	}
	client, err := store.Open(ctx, cfg.Redis.Reveal())
	if err != nil {
		return nil, nil, err
	}
	return client, func() { _ = client.Close() }, nil
}

// registry adapts *numbers.Registry to Numbers.
type registry struct {
	r     *numbers.Registry
	clock clock.Clock
}

func (g registry) Apply(ctx context.Context, ev whatsapp.Event) error {
	_, err := g.ApplyChanged(ctx, ev)
	return err
}

// ApplyChanged is Apply returning the numbers whose state changed, for number health to
// judge them at once.
func (g registry) ApplyChanged(ctx context.Context, ev whatsapp.Event) ([]chat.NumberID, error) {
	nev := numberEvent(ev)
	if nev == nil {
		return nil, nil
	}
	return g.r.Apply(ctx, nev)
}

// numberEvent translates a quality or account webhook event into the registry's terms;
// nil for any other event.
func numberEvent(ev whatsapp.Event) numbers.Event {
	switch ev := ev.(type) {
	case *whatsapp.QualityUpdate:
		return &numbers.QualityEvent{At: ev.At, DisplayNumber: ev.DisplayNumber, Event: ev.Event,
			CurrentLimit: ev.CurrentLimit, MaxDailyConversations: ev.MaxDailyConversations}
	case *whatsapp.AccountUpdate:
		out := &numbers.AccountEvent{At: ev.At, WABA: ev.WABA, Event: ev.Event, PhoneNumber: ev.PhoneNumber,
			ViolationType: ev.ViolationType, BanState: ev.BanState, BanDate: ev.BanDate}
		for _, r := range ev.Restrictions {
			out.Restrictions = append(out.Restrictions, numbers.Restriction{Type: r.Type, Expiration: r.Expiration})
		}
		return out
	}
	return nil
}

func (g registry) Refresh(ctx context.Context) error { return g.r.Refresh(ctx) }

func (g registry) Campaign(id chat.NumberID) string {
	n, _ := g.r.Lookup(id)
	return n.Campaign
}

func (g registry) States(context.Context) ([]NumberState, error) {
	now := g.clock.Now()
	states := g.r.States()
	out := make([]NumberState, 0, len(states))
	for _, n := range g.r.Numbers() {
		s := states[n.ID]
		out = append(out, NumberState{Number: n.ID, Role: string(n.Role), Quality: string(s.Quality), State: string(s.Current(now))})
	}
	return out, nil
}

// markReader marks messages read through the sender, within the number's throughput.
type markReader struct{ s *sending.Sender }

func (m markReader) MarkRead(ctx context.Context, number chat.NumberID, messageID string) error {
	return m.s.MarkRead(ctx, number, messageID, false)
}

// routingObserver counts the router's refusals and invitations, and logs each refusal:
// a reply that is not sent must be visible to the operator, not only in the history.
type routingObserver struct {
	m   *Metrics
	log *slog.Logger
}

func (o routingObserver) Refused(number chat.NumberID, reason string) {
	o.m.Refused(number, reason)
	o.log.Info("reply not sent", slog.String("number", string(number)), slog.String("reason", reason))
}

func (o routingObserver) Invited(number chat.NumberID, kind string) { o.m.Invited(number, kind) }

// sendObserver counts the sender's outcomes.
type sendObserver struct{ m *Metrics }

func (o sendObserver) Sent(number chat.NumberID, kind chat.Kind)   { o.m.Outbound(number, kind) }
func (o sendObserver) Failed(number chat.NumberID, code int)       { o.m.SendError(number, code) }
func (o sendObserver) Refused(number chat.NumberID, reason string) { o.m.SendRefused(number, reason) }

var (
	_ routing.Observer = routingObserver{}
	_ sending.Observer = sendObserver{}
	_ sending.Recorder = (*storeHistory)(nil)
	_ Contacts         = (*store.Redis)(nil)
	_ Intake           = (*store.Intake)(nil)
	_ Engine           = (*engine.Engine)(nil)
	_ engine.Store     = (*store.Redis)(nil)
	_ engine.Router    = (*routing.Router)(nil)
	_ engine.Sender    = (*sending.Sender)(nil)
	_ Numbers          = registry{}
	_ Statuses         = (*sending.Sender)(nil)
	_ Sender           = (*sending.Sender)(nil)
	_ Outbox           = (*store.Outbox)(nil)
	_ History          = (*storeHistory)(nil)
)

// campaignTriggerWarnings names the campaign triggers of set that no configured number
// sends: a reply carries the campaign of the number it reached (a started campaign file's,
// else the configuration's), so such a trigger matches only while a campaign file of that
// name runs (otherwise, most often, a name spelt differently in the flow and in the config).
func campaignTriggerWarnings(set *flows.Set, cfg *config.Config) []string {
	sent := map[string]bool{}
	for _, n := range cfg.Numbers {
		if n.Campaign != "" {
			sent[n.Campaign] = true
		}
	}
	var out []string
	for _, t := range set.Triggers {
		if t.Kind == flows.TriggerCampaign && !sent[t.Campaign] {
			out = append(out, fmt.Sprintf("%s:%d:%d: flow %q answers campaign %q, but no number in the config sends it: the trigger matches only while a started campaign file of that name sends",
				t.Pos.File, t.Pos.Line, t.Pos.Col, t.Flow, t.Campaign))
		}
	}
	return out
}

// orNever maps the config's 0 ("never expire", "off") to the store's negative duration;
// the store reads 0 as "use the default".
func orNever(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// depthOrNever is orNever for a depth bound.
func depthOrNever(n int) int64 {
	if n == 0 {
		return -1
	}
	return int64(n)
}

// sendLatency is the Graph API answer time the outbox senders are sized for: Meta usually
// answers in 100–300 ms.
const sendLatency = 500 * time.Millisecond

// sendSlotBatch is how much of a number's sending time one limiter round trip reserves.
const sendSlotBatch = 50 * time.Millisecond

// sendWorkers is how many replies are sent at once: enough for every number to send at
// its throughput while each send waits sendLatency for Meta's answer, and no fewer than the
// inbound workers.
func sendWorkers(cfg *config.Config) int {
	total := 0
	for _, n := range cfg.Numbers {
		total += cmp.Or(n.Throughput, config.DefaultThroughput)
	}
	return max(cfg.Limits.Workers, int(float64(total)*sendLatency.Seconds()))
}
