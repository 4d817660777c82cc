package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/store"
)

// MaxWebhookBody is the largest webhook POST accepted: Meta's payloads are at most 3 MB.
const MaxWebhookBody = 3 << 20

// Defaults of Deps that the configuration does not set. The workers, the timer interval
// and the shutdown timeout default to the configuration's (config.DefaultWorkers, ...), which
// owns them: the JSON Schema and the docs show them to the people who set them.
const (
	// DefaultHandleTimeout bounds one message's run through the flows (http steps and
	// sends included), so a stuck send cannot hold a contact forever.
	DefaultHandleTimeout = 2 * time.Minute
)

// Ticker starts a ticker with period d and returns its channel and its stop function.
// Tests replace it to fire loops by hand.
type Ticker func(d time.Duration) (<-chan time.Time, func())

func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Deps is everything a Server runs with. Build fills it from a configuration; tests fill
// it with fakes. Nil optional fields switch their feature off.
type Deps struct {
	Logger *slog.Logger
	// AppSecret and VerifyToken check webhooks (required).
	AppSecret   string
	VerifyToken string

	Intake  Intake // required
	Engine  Engine // required
	Redis   Pinger // required: /readyz pings it
	Metrics *Metrics
	// Contacts resolves contact keys; nil keeps the ids the webhook names.
	Contacts Contacts
	// History records failed statuses; nil only logs them.
	History History
	// Preferences records Meta's marketing stop and resume webhooks as opt-outs and
	// opt-ins; nil only logs them.
	Preferences Preferences
	// Numbers receives quality and account webhooks and refreshes; nil ignores them.
	Numbers Numbers
	// Statuses acts on failed statuses (a restricted number is marked); nil ignores them.
	Statuses Statuses
	// Deliveries records the delivery states status webhooks report for the replies the
	// outbox sent; nil records none.
	Deliveries Deliveries
	// MarkRead, when set, marks each message read as a worker takes it.
	MarkRead MarkReader
	// Outbox and Sender, both set, send the replies the engine committed in the outbox;
	// unset, the engine sends them itself after each commit.
	Outbox Outbox
	Sender Sender
	// DeliverFor is how long a reply that fails for a reason that may pass (network, 5xx,
	// throughput) is retried, counted from its commit (default DefaultDeliverFor).
	DeliverFor time.Duration
	// RetryBase and RetryMax shape the waits between attempts at such a reply: RetryBase,
	// doubling up to RetryMax, with jitter (defaults DefaultRetryBase, DefaultRetryMax).
	RetryBase, RetryMax time.Duration
	// Inbox, when set, serves the agents' JSON API under /api/ and InboxWeb the web inbox
	// at /inbox.
	Inbox    Inbox
	InboxWeb http.Handler

	// LoadFlows loads the flow set from FlowsPaths; Reload calls it. nil disables reload.
	LoadFlows  func() (*flows.Set, flows.Diagnostics)
	FlowsPaths []string

	Workers int
	// SendWorkers is how many replies the outbox senders deliver at once (of different
	// contacts); default Workers. A send waits for Meta's answer, so a number sending at
	// its throughput T with answers taking L needs T·L of them.
	SendWorkers     int
	TimerInterval   time.Duration
	RefreshInterval time.Duration // 0: no periodic refresh
	ReloadInterval  time.Duration // 0: no polling of the flows folder (SIGHUP still works)
	ShutdownTimeout time.Duration
	HandleTimeout   time.Duration
	Tick            Ticker // default: time.NewTicker
	// Clock stamps status events that came without a time and tells the time for the replay
	// window and the log throttle (default: the wall clock).
	Clock clock.Clock
	// StatusQueue bounds the delivery statuses waiting to be applied; default
	// DefaultStatusQueue. A POST whose statuses do not fit is answered 500.
	StatusQueue int
	// ReplayWindow refuses webhook events stamped longer ago than this (a replayed
	// capture); 0 accepts any age.
	ReplayWindow time.Duration
	// MetricsToken, when set, is the bearer token /metrics requires. MetricsAddr, when
	// set, is the address /metrics is served on instead of the main one. With neither,
	// /metrics is not served (see metricsHandler).
	MetricsToken string
	MetricsAddr  string
	// Campaigns, when set, runs the campaign loop and settles campaign status webhooks;
	// CampaignAPI, when set, is served under /api/campaigns (it checks its own token).
	Campaigns   Campaigns
	CampaignAPI http.Handler
	// Backlog, when set, is counted in /metrics (wasla_outbox_failed,
	// wasla_intake_dead_letters) every DepthInterval.
	Backlog Backlog
	// OutboxAPI, when set, is served under /api/outbox and /api/intake (NewOutboxAPI; it
	// checks the admin token itself).
	OutboxAPI http.Handler
	// WebhookHealth, when set, hears whether webhooks were recorded, for the campaign
	// runner's hold (default: a tracker of the server's own that nobody reads).
	WebhookHealth *WebhookHealth
	// DepthInterval is how often the intake depth for /metrics is re-read; default
	// DefaultDepthInterval.
	DepthInterval time.Duration
	// ShedLag and ShedDepth are the reply lag and intake depth from which the server sheds
	// optional work (marks as read); RefuseLag and RefuseDepth those from which it answers
	// webhooks 503 with Retry-After, so that Meta delivers them again later. Zero: the
	// defaults (DefaultShedLag, no ShedDepth, no RefuseLag, DefaultRefuseDepth); negative:
	// never. See backlog.
	ShedLag, RefuseLag     time.Duration
	ShedDepth, RefuseDepth int64
	// WebhookConcurrency bounds the webhook POSTs handled at once (default: sixteen per CPU);
	// a POST that finds no slot within a second is answered 503.
	WebhookConcurrency int
	// TimerNotes, when set, holds the timers the engine committed (its Options.OnTimer is
	// Note), and the server fires each at its moment besides polling every TimerInterval.
	TimerNotes *TimerNotes
	// Health, when set, counts number health signals and runs the health loop;
	// NumbersAPI, when set, is served at /api/numbers (it checks its own token).
	Health     *NumberHealth
	NumbersAPI http.Handler
	// DeliveryObserver, when set, hears of each delivery state a status webhook moved
	// forward, and of Meta's sent statuses (the agents' inbox, whose open threads move
	// their ticks).
	DeliveryObserver DeliveryObserver
}

// Server is the webhook HTTP server with its workers and loops. Create it with New, run
// it once with Run.
type Server struct {
	d       Deps
	log     *slog.Logger
	metrics *Metrics
	router  chi.Router

	ready    atomic.Bool // flows loaded and not shutting down
	stopping atomic.Bool
	reloadMu sync.Mutex
	lastScan fingerprint // guarded by reloadMu

	// Marks as read run in the background (markRead): marks bounds how many at once,
	// marking waits for them at shutdown.
	marks   chan struct{}
	marking sync.WaitGroup

	now         func() time.Time
	statusQ     chan *whatsapp.Status
	warnRefused *throttledLog // refused webhook requests
	warnStatus  *throttledLog // statuses that could not be applied
	depth       *depthCache
	kept        *backlogGauges // nil without Deps.Backlog
	backlog     *backlog
	slots       *webhookSlots
	verifier    *whatsapp.Verifier
}

// New checks deps and returns a server; it does no I/O.
func New(d Deps) (*Server, error) {
	var missing []error
	if d.AppSecret == "" {
		missing = append(missing, errors.New("no app secret"))
	}
	if d.VerifyToken == "" {
		missing = append(missing, errors.New("no verify token"))
	}
	if d.Intake == nil || d.Engine == nil || d.Redis == nil {
		missing = append(missing, errors.New("intake, engine and redis are required"))
	}
	if err := errors.Join(missing...); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics()
	}
	d.Workers = cmp.Or(d.Workers, config.DefaultWorkers)
	d.SendWorkers = cmp.Or(d.SendWorkers, d.Workers)
	d.TimerInterval = cmp.Or(d.TimerInterval, config.DefaultTimerInterval)
	d.ShutdownTimeout = cmp.Or(d.ShutdownTimeout, config.DefaultShutdownTimeout)
	d.HandleTimeout = cmp.Or(d.HandleTimeout, DefaultHandleTimeout)
	d.DeliverFor = cmp.Or(d.DeliverFor, DefaultDeliverFor)
	if d.Tick == nil {
		d.Tick = realTicker
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.WebhookHealth == nil {
		d.WebhookHealth = NewWebhookHealth(d.Clock)
	}
	d.StatusQueue = cmp.Or(d.StatusQueue, DefaultStatusQueue)
	d.DepthInterval = cmp.Or(d.DepthInterval, DefaultDepthInterval)
	s := &Server{d: d, log: d.Logger, metrics: d.Metrics, now: d.Clock.Now,
		statusQ:     make(chan *whatsapp.Status, d.StatusQueue),
		warnRefused: newThrottledLog(d.Logger, refusalLogPeriod, d.Clock.Now),
		warnStatus:  newThrottledLog(d.Logger, refusalLogPeriod, d.Clock.Now),
		depth:       newDepthCache(),
		marks:       make(chan struct{}, max(d.Workers, 1)),
		slots:       newWebhookSlots(d.WebhookConcurrency),
		verifier:    whatsapp.NewVerifier(d.AppSecret)}
	s.backlog = &backlog{depth: s.depth, now: d.Clock.Now, draw: rand.Float64,
		shedLag: bound(d.ShedLag, DefaultShedLag), refuseLag: bound(d.RefuseLag, 0),
		shedDepth: bound(d.ShedDepth, 0), refuseDepth: bound(d.RefuseDepth, DefaultRefuseDepth)}
	s.metrics.registerBacklog(s.backlog)
	s.metrics.registerGauges(s.depth, d.Numbers)
	s.registerBacklog()
	if d.Inbox != nil {
		s.metrics.reg.MustRegister(d.Inbox.Collectors()...)
	}
	s.router = s.routes()
	s.ready.Store(true) // the caller built the engine from a loaded flow set
	if d.LoadFlows != nil {
		s.lastScan = scanFlows(d.FlowsPaths)
	}
	return s, nil
}

func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Get("/webhook", s.handshake)
	r.Post("/webhook", s.webhook)
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	if s.metricsOnMain() {
		r.Method(http.MethodGet, "/metrics", s.metricsHandler())
	}
	if s.d.CampaignAPI != nil {
		r.Handle("/api/campaigns", s.d.CampaignAPI)
		r.Handle("/api/campaigns/*", s.d.CampaignAPI)
	}
	if s.d.OutboxAPI != nil {
		r.Handle("/api/outbox/*", s.d.OutboxAPI)
		r.Handle("/api/intake/*", s.d.OutboxAPI)
	}
	if s.d.NumbersAPI != nil {
		r.Handle("/api/numbers", s.d.NumbersAPI)
		r.Handle("/admin/numbers", s.d.NumbersAPI)
		r.Handle("/admin/numbers/*", s.d.NumbersAPI)
	}
	s.adminOff(r)
	if s.d.Inbox != nil {
		r.Route("/api", s.d.Inbox.APIRoutes)
	}
	if s.d.InboxWeb != nil {
		r.Handle("/inbox", s.d.InboxWeb)
		r.Handle("/inbox/*", s.d.InboxWeb)
	}
	return r
}

// Handler returns the HTTP handler: /webhook, /healthz, /readyz and, when MetricsToken is
// set and MetricsAddr is not, /metrics.
func (s *Server) Handler() http.Handler { return s.router }

// Run serves HTTP on ln and runs the workers, the timer loop, the number refresh and the
// flows watcher until ctx is done. Then it shuts down gracefully: it stops accepting
// requests and waits for those in flight (each one's messages are recorded or refused),
// then lets each worker finish its current message, all within ShutdownTimeout. It
// returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Workers and loops run under their own context, cancelled only after the HTTP
	// server stopped, so every message accepted by a last webhook is still taken.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var wg sync.WaitGroup
	workErr := make(chan error, 1)
	wg.Go(func() {
		if err := s.d.Intake.Run(workCtx, s.d.Workers, s.handle); err != nil && workCtx.Err() == nil {
			workErr <- fmt.Errorf("server: intake workers: %w", err)
		}
	})
	if s.d.Outbox != nil && s.d.Sender != nil {
		d := &deliverer{send: s.d.Sender, metrics: s.metrics, log: s.log, clock: s.d.Clock,
			For: s.d.DeliverFor, Base: cmp.Or(s.d.RetryBase, DefaultRetryBase), Max: cmp.Or(s.d.RetryMax, DefaultRetryMax)}
		deliver := func(ctx context.Context, del store.Delivery) store.Outcome {
			lag := s.d.Clock.Now().Sub(del.Queued)
			s.metrics.ReplyLag(lag)
			s.backlog.observeLag(lag)
			return d.deliver(ctx, del)
		}
		wg.Go(func() {
			if err := s.d.Outbox.Run(workCtx, s.d.SendWorkers, deliver); err != nil && workCtx.Err() == nil {
				workErr <- fmt.Errorf("server: outbox senders: %w", err)
			}
		})
	}
	wg.Go(func() { s.timerLoop(workCtx) })
	wg.Go(func() {
		s.statusLoop(workCtx, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.WithoutCancel(ctx), s.d.ShutdownTimeout)
		})
	})
	if s.d.Numbers != nil && s.d.RefreshInterval > 0 {
		wg.Go(func() { s.refreshLoop(workCtx) })
	}
	if s.d.LoadFlows != nil && s.d.ReloadInterval > 0 {
		wg.Go(func() { s.watchLoop(workCtx) })
	}

	wg.Go(func() { s.depthLoop(workCtx) })
	wg.Go(func() { s.backlogLoop(workCtx) })
	if s.d.Campaigns != nil {
		wg.Go(func() { s.d.Campaigns.Run(workCtx) })
	}
	if s.d.Health != nil {
		wg.Go(func() { s.d.Health.Run(workCtx, s.d.Tick) })
	}

	httpErr := make(chan error, 2)
	var ms *http.Server
	if s.d.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.d.MetricsAddr)
		if err != nil {
			stopWork()
			wg.Wait()
			return fmt.Errorf("server: metrics listener: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", s.metricsHandler())
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, ErrorLog: hs.ErrorLog}
		go func() { httpErr <- ms.Serve(mln) }()
		s.log.Info("serving metrics", slog.String("addr", mln.Addr().String()))
	} else if s.d.MetricsToken == "" {
		s.log.Info("metrics not served: set metrics.token or metrics.listen to scrape /metrics")
	}
	go func() { httpErr <- hs.Serve(ln) }()
	s.log.Info("serving", slog.String("addr", ln.Addr().String()), slog.Int("workers", s.d.Workers))

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-httpErr:
		runErr = fmt.Errorf("server: serving http: %w", err)
	case err := <-workErr:
		runErr = err
	}

	s.stopping.Store(true)
	s.ready.Store(false)
	s.log.Info("shutting down: finishing requests and messages in flight")
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.d.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("server: http shutdown: %w", err))
	}
	if ms != nil {
		if err := ms.Shutdown(shutCtx); err != nil {
			runErr = errors.Join(runErr, fmt.Errorf("server: metrics shutdown: %w", err))
		}
	}
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); s.marking.Wait(); close(done) }()
	select {
	case <-done:
		s.log.Info("stopped")
	case <-shutCtx.Done():
		runErr = errors.Join(runErr, errors.New("server: workers did not stop within the shutdown timeout"))
	}
	return runErr
}

// bound is a push-back bound of Deps: zero takes def, negative means never (0).
func bound[T time.Duration | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Intake returns the intake the webhook records messages in: the load benchmark's
// baseline pushes to it, so its messages wake this server's workers as the webhook's do.
func (s *Server) Intake() Intake { return s.d.Intake }
