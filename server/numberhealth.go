package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/sending"
)

// PhoneHealthReader reads Meta's word on a number (*whatsapp.Client).
type PhoneHealthReader interface {
	PhoneHealth(ctx context.Context, id chat.NumberID, token string) (*whatsapp.PhoneHealth, error)
}

// NumberHealth is number health in wasla serve (campaigns/health does the thinking):
//
//   - signals: the server's webhook paths and the senders count each number's sends,
//     failures by class, reads, replies, opt-outs and negative replies into the shared
//     daily buckets (health.RedisStore);
//   - the loop: every Interval, the replica holding the lease reads health_status,
//     quality, throughput and the messaging limit of every number from the Graph API and
//     judges every number (health.Monitor.Judge); every replica then re-reads the
//     standings, which the campaign runner follows (Numbers), and sets the score gauges.
//
// Every change of a standing is logged, counted (wasla_number_health_changes_total) and
// posted to the operator's webhook when one is configured.
type NumberHealth struct {
	Monitor  *health.Monitor
	Store    *health.RedisStore
	Registry *numbers.Registry
	Graph    PhoneHealthReader // nil: Meta is not polled (webhooks only)
	Interval time.Duration     // 0: no loop
	Owner    string            // this replica, in the lease
	Logger   *slog.Logger
	Clock    clock.Clock
	// OptOuts counts opt-outs against campaigns (nil: not counted).
	OptOuts CampaignOptOuts

	standings atomic.Pointer[map[chat.NumberID]health.Standing]
	warn      *throttledLog
	score     *prometheus.GaugeVec
	changes   *prometheus.CounterVec
	polls     *prometheus.CounterVec
	stopLoss  *prometheus.CounterVec
	sink      health.Sink
}

// NumberHealthOptions build a NumberHealth.
type NumberHealthOptions struct {
	Store       *health.RedisStore
	Registry    *numbers.Registry
	Graph       PhoneHealthReader
	Weights     health.Weights
	Policy      health.Policy
	Phrases     []string
	OptOutWords func() []string
	Zone        *time.Location
	Interval    time.Duration
	Owner       string
	// Webhook, when its URL is set, receives every change, signed.
	Webhook health.Webhook
	Logger  *slog.Logger
	Clock   clock.Clock
	// Registerer receives the metrics (nil: not exported).
	Registerer prometheus.Registerer
	// Restart restarts a resumed number's warm-up (nil: the warm-ups are left alone);
	// buildHealth gives the campaign runner's shared pacing.Warmups.
	Restart health.Restarter
}

// NewNumberHealth returns the number health of a server.
func NewNumberHealth(o NumberHealthOptions) (*NumberHealth, error) {
	if err := o.Policy.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	h := &NumberHealth{Store: o.Store, Registry: o.Registry, Graph: o.Graph, Interval: o.Interval, Owner: o.Owner,
		Logger: o.Logger, Clock: o.Clock, warn: newThrottledLog(o.Logger, refusalLogPeriod, o.Clock.Now)}
	h.score = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wasla_number_health_score",
		Help: "Each number's health score, 0 (burnt) to 100, over its last seven days (docs/campaigns.md)."}, []string{"number"})
	h.changes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_number_health_changes_total",
		Help: "Changes of a number's health state made by the policy, by the state reached."}, []string{"number", "state"})
	h.polls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_number_health_polls_total",
		Help: "Reads of a number's health from the Graph API, by result (ok, error)."}, []string{"number", "result"})
	h.stopLoss = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_campaign_stop_loss_total",
		Help: "Campaigns the stop-loss stopped because their opt-outs or quality failures passed its thresholds."}, []string{"campaign"})
	if o.Registerer != nil {
		o.Registerer.MustRegister(h.score, h.changes, h.polls, h.stopLoss)
	}
	sinks := health.Sinks{health.LogSink{Log: o.Logger}, changeCounter{h.changes}}
	if o.Webhook.URL != "" {
		sinks = append(sinks, o.Webhook)
	}
	h.sink = sinks
	h.Monitor = &health.Monitor{Store: o.Store, Standings: o.Store, Weights: o.Weights, Policy: o.Policy,
		Phrases: health.NewPhrases(o.Phrases), OptOutWords: o.OptOutWords, Sink: sinks, Zone: o.Zone, Clock: o.Clock, Restart: o.Restart}
	empty := map[chat.NumberID]health.Standing{}
	h.standings.Store(&empty)
	return h, nil
}

// changeCounter counts the policy's changes for Prometheus.
type changeCounter struct{ c *prometheus.CounterVec }

func (c changeCounter) Emit(_ context.Context, e health.Event) error {
	c.c.WithLabelValues(e.Number, string(e.To)).Inc()
	return nil
}

func (h *NumberHealth) count(ctx context.Context, number chat.NumberID, s health.Signal, at time.Time) {
	if err := h.Monitor.Count(ctx, number, s, at); err != nil {
		h.warn.Warn("counting a number health signal failed", slog.String("number", string(number)),
			slog.String("signal", s.String()), slog.Any("error", err))
	}
}

// Status counts a delivery status: delivered, read, or a failure by class (131049 and
// other codes that say nothing of the number's quality are not counted).
func (h *NumberHealth) Status(ctx context.Context, st *whatsapp.Status) {
	switch st.Status {
	case whatsapp.StatusDelivered:
		h.count(ctx, st.Number, health.Delivered, st.At)
	case whatsapp.StatusRead:
		h.count(ctx, st.Number, health.Read, st.At)
	case whatsapp.StatusFailed:
		for _, e := range st.Errors {
			if sig, ok := health.FailureSignal(e.Code); ok {
				h.count(ctx, st.Number, sig, st.At)
				return
			}
		}
	}
}

// Inbound counts each message a contact sent: a reply, and an opt-out or a negative
// reply by its words; an opt-out also counts against the campaigns that reached the
// contact (CampaignOptOuts).
func (h *NumberHealth) Inbound(ctx context.Context, msgs []chat.Inbound) {
	for _, in := range msgs {
		text := ""
		if in.Kind == chat.KindText {
			text = in.Text
		}
		for _, sig := range h.Monitor.ReplySignals(text) {
			h.count(ctx, in.Number, sig, in.At)
			if sig == health.OptOut {
				h.campaignOptOut(ctx, in.Contact, in.Number, in.At)
			}
		}
	}
}

// Preference counts Meta's marketing stop as an opt-out from the number it names, and
// against the campaigns that reached contact (the resolved contact).
func (h *NumberHealth) Preference(ctx context.Context, ev *whatsapp.UserPreference, contact chat.ContactID) {
	if ev.Value == whatsapp.PreferenceStop {
		h.count(ctx, ev.Number, health.OptOut, ev.At)
		h.campaignOptOut(ctx, contact, ev.Number, ev.At)
	}
}

// CampaignOptOuts counts an opt-out against the campaigns that reached the contact
// (runner.Runner.OptOut), for their stop-loss; nil: none. Set once, before serving.
type CampaignOptOuts func(ctx context.Context, contact chat.ContactID, number chat.NumberID, at time.Time) error

func (h *NumberHealth) campaignOptOut(ctx context.Context, contact chat.ContactID, number chat.NumberID, at time.Time) {
	if h.OptOuts == nil || contact == "" {
		return
	}
	if at.IsZero() {
		at = h.Clock.Now()
	}
	if err := h.OptOuts(ctx, contact, number, at); err != nil {
		h.warn.Warn("counting an opt-out against its campaigns failed", slog.String("number", string(number)), slog.Any("error", err))
	}
}

// Sent counts a send's answer from the Graph API: accepted, or refused with a code that
// speaks of the number's quality.
func (h *NumberHealth) Sent(ctx context.Context, from chat.NumberID, err error) {
	if err == nil {
		h.count(ctx, from, health.Sent, time.Time{})
		return
	}
	code, _ := sending.Code(err)
	if sig, ok := health.FailureSignal(code); ok {
		h.count(ctx, from, sig, time.Time{})
	}
}

// Sender wraps a sender so that every send's answer is counted.
func (h *NumberHealth) Sender(s Sender) Sender { return healthSender{s, h} }

type healthSender struct {
	Sender
	h *NumberHealth
}

func (s healthSender) Attempt(ctx context.Context, msg chat.Outbound) (string, error) {
	id, err := s.Sender.Attempt(ctx, msg)
	s.h.Sent(ctx, msg.From, err)
	return id, err
}

// Run runs the loop until ctx is done; tick makes its ticker. At start it only reads
// the standings (a restarted replica follows the policy at once); the first poll and
// judgement come one interval later, so a fleet restarting does not poll Meta at once.
func (h *NumberHealth) Run(ctx context.Context, tick Ticker) {
	if err := h.Refresh(ctx); err != nil && ctx.Err() == nil {
		h.warn.Warn("reading the number health standings failed", slog.Any("error", err))
	}
	if h.Interval <= 0 {
		return
	}
	c, stop := tick(h.Interval)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c:
		}
		if err := h.Round(ctx); err != nil && ctx.Err() == nil {
			h.warn.Warn("number health round failed", slog.Any("error", err))
		}
	}
}

// Round is one turn of the loop: poll and judge when this replica holds the lease, then
// re-read the standings and scores.
func (h *NumberHealth) Round(ctx context.Context) error {
	held, err := h.Store.Lease(ctx, h.Owner, 3*max(h.Interval, time.Minute))
	if err != nil {
		return err
	}
	if held {
		h.poll(ctx)
		metas, err := h.metas(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, n := range h.Registry.Numbers() {
			if _, err := h.judge(ctx, n.ID, metas[n.ID]); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			h.warn.Warn("judging number health", slog.Any("error", err))
		}
	}
	return h.Refresh(ctx)
}

// judgeLockTTL bounds one number's judgement: a few Redis reads and writes, and the
// operator's webhook (10 s timeout).
const judgeLockTTL = 30 * time.Second

// judge judges one number under its judge lock; judged is false when another replica
// judges it now (with Meta's word as fresh as this replica's).
func (h *NumberHealth) judge(ctx context.Context, id chat.NumberID, meta health.MetaStatus) (judged bool, err error) {
	release, ok, err := h.Store.JudgeLock(ctx, id, h.Owner, judgeLockTTL)
	if err != nil || !ok {
		return false, err
	}
	defer release()
	_, err = h.Monitor.Judge(ctx, id, meta)
	return true, err
}

// Rejudge judges numbers at once, on the replica a quality or account webhook reached,
// rather than at the loop's next round: a number Meta just rated RED, flagged or banned
// stops (or retires) before the runner's next pass. This replica's runner follows the
// new standings at once; the others at their next round. A number another replica is
// judging right now is left to it.
func (h *NumberHealth) Rejudge(ctx context.Context, ids []chat.NumberID) error {
	if len(ids) == 0 {
		return nil
	}
	metas, err := h.metas(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if _, ok := metas[id]; !ok {
			continue // not a number of this deployment
		}
		if _, err := h.judge(ctx, id, metas[id]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := h.Refresh(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// poll reads Meta's word on every number; a failure is logged and counted, the last
// reading stays.
func (h *NumberHealth) poll(ctx context.Context) {
	if h.Graph == nil {
		return
	}
	for _, n := range h.Registry.Numbers() {
		ph, err := h.Graph.PhoneHealth(ctx, n.ID, string(n.Token))
		if err != nil {
			h.polls.WithLabelValues(string(n.ID), "error").Inc()
			h.warn.Warn("reading a number's health from the Graph API failed", slog.String("number", string(n.ID)), slog.Any("error", err))
			continue
		}
		h.polls.WithLabelValues(string(n.ID), "ok").Inc()
		if err := h.Store.SetMeta(ctx, n.ID, PolledMeta(ph, h.Clock.Now())); err != nil {
			h.warn.Warn("saving a number's health failed", slog.String("number", string(n.ID)), slog.Any("error", err))
		}
	}
}

// PolledMeta turns the Graph API's answer into Meta's status: BLOCKED for the number,
// its account or business means it cannot send.
func PolledMeta(ph *whatsapp.PhoneHealth, now time.Time) health.MetaStatus {
	m := health.MetaStatus{Throughput: ph.Throughput, Limit: ph.Limit, Checked: now, Reason: ph.Reason()}
	switch q := health.Rating(ph.Quality); q {
	case health.Green, health.Yellow, health.Red:
		m.Rating = q
	}
	m.CannotSend = ph.CanSend == whatsapp.CanSendBlocked
	return m
}

// MergeMeta joins the last poll with what the webhooks told the registry: the fresher
// rating; a number flagged or restricted by a webhook or a send error is flagged (the
// policy stops it until clean days), a banned one cannot send (it is retired).
func MergeMeta(polled health.MetaStatus, st numbers.State, now time.Time) health.MetaStatus {
	m := polled
	switch q := health.Rating(st.Quality); q {
	case health.Green, health.Yellow, health.Red:
		if m.Rating == health.Unknown || st.QualityAt.After(polled.Checked) {
			m.Rating = q
		}
	}
	if m.Limit == "" {
		m.Limit = st.Limit
	}
	switch st.Current(now) {
	case numbers.StatusFlagged, numbers.StatusRestricted:
		m.Flagged = true
		m.Reason = joinReason(m.Reason, st.Reason)
	case numbers.StatusBanned:
		m.CannotSend = true
		m.Reason = joinReason(m.Reason, st.Reason)
	}
	return m
}

func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// metas returns Meta's status of every number: the last poll merged with the registry.
func (h *NumberHealth) metas(ctx context.Context) (map[chat.NumberID]health.MetaStatus, error) {
	polled, err := h.Store.MetaAll(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.Registry.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("reading number states: %w", err)
	}
	now := h.Clock.Now()
	states := h.Registry.States()
	out := make(map[chat.NumberID]health.MetaStatus, len(states))
	for _, n := range h.Registry.Numbers() {
		out[n.ID] = MergeMeta(polled[n.ID], states[n.ID], now)
	}
	return out, nil
}

// Refresh re-reads the standings the runner follows and sets the score gauges.
func (h *NumberHealth) Refresh(ctx context.Context) error {
	all, err := h.Store.Standings(ctx)
	if err != nil {
		return err
	}
	h.standings.Store(&all)
	metas, err := h.metas(ctx)
	if err != nil {
		return err
	}
	window := health.Window(h.Clock.Now(), h.Monitor.Zone)
	for id, meta := range metas {
		days, err := h.Store.Days(ctx, id, window)
		if err != nil {
			return err
		}
		h.score.WithLabelValues(string(id)).Set(h.Monitor.Weights.Compute(days, meta).Value)
	}
	return nil
}

// Standing returns a number's last standing (active when never judged).
func (h *NumberHealth) Standing(id chat.NumberID) health.Standing {
	if s, ok := (*h.standings.Load())[id]; ok {
		return s
	}
	return health.NewStanding()
}

// Numbers wraps the runner's numbers: a number the policy stopped or retired is not
// usable, and a slowed one sends its share of the warm-up cap.
func (h *NumberHealth) Numbers(n runner.Numbers) runner.Numbers { return healthNumbers{n, h} }

type healthNumbers struct {
	runner.Numbers
	h *NumberHealth
}

func (n healthNumbers) Number(id chat.NumberID) (runner.NumberInfo, bool) {
	info, ok := n.Numbers.Number(id)
	if !ok {
		return info, ok
	}
	s := n.h.Standing(id)
	info.Usable = info.Usable && s.Usable()
	if s.State == health.Slowed {
		info.Allowance = s.Allowance
	}
	return info, true
}

// StopLoss is the campaign runner's stop-loss: health.StopLoss (the simulator's) over a
// live campaign's counters, with the campaign file's stop_loss thresholds, reported like
// the policy's changes (log, wasla_campaign_stop_loss_total, operator webhook).
func (h *NumberHealth) StopLoss() runner.StopLoss { return campaignStopLoss{h} }

type campaignStopLoss struct{ h *NumberHealth }

// Check implements runner.StopLoss: opt-outs over the campaign's sends (the file's
// max_opt_out_rate), quality failures over them (max_failure_rate), once it has sent
// health.DefaultStopLoss().MinSends.
func (l campaignStopLoss) Check(cfg pacing.Config, total outcome.Counters) string {
	return health.CampaignStopLoss(cfg.Canary.MaxOptOutRate, cfg.Canary.MaxFailureRate).Check(CampaignCounts(total))
}

// Stopped implements runner.StopLoss.
func (l campaignStopLoss) Stopped(ctx context.Context, campaign, reason string) {
	l.h.stopLoss.WithLabelValues(campaign).Inc()
	ev := health.Event{At: l.h.Clock.Now(), Campaign: campaign, To: health.Stopped, Reason: reason}
	if err := l.h.sink.Emit(ctx, ev); err != nil {
		l.h.warn.Warn("reporting a campaign's stop-loss failed", slog.String("campaign", campaign), slog.Any("error", err))
	}
}

// CampaignCounts turns a campaign's counters into the signals health.StopLoss reads:
// every answered attempt is a send; each failure goes to its class (health.FailureSignal:
// 131050, the recipient's marketing stop, is an opt-out; 131049 is nothing); the
// contacts who opted out after the campaign reached them (a STOP word, Meta's marketing
// stop) and those left out because they had opted out count as opt-outs too.
func CampaignCounts(total outcome.Counters) health.Counts {
	var c health.Counts
	c[health.Sent] = int(total.Sent + total.FailedTotal() - total.FailedAfterSent)
	c[health.OptOut] = int(total.OptedOut + total.OptedOutAfterSend)
	for code, n := range total.Failed {
		if sig, ok := health.FailureSignal(code); ok {
			c[sig] += int(n)
		}
	}
	return c
}

// warmupRestart restarts a resumed number on the campaign runner's shared warm-ups
// (the runner's pacing.RedisState is on the same client and prefix).
type warmupRestart struct{ state *pacing.RedisState }

// restartLease is how long the restart holds the day's judge mark: as long as the runner's.
const restartLease = time.Minute

func (w warmupRestart) Restart(ctx context.Context, number chat.NumberID, step int, day string) error {
	return w.state.Restart(ctx, number, step, day, restartLease)
}

// buildHealth wires number health from the configuration: the shared store under the
// deployment's prefix, the policy's thresholds, the phrases, the flows' opt-out words,
// the Graph API poll and the operator's webhook.
func buildHealth(cfg *config.Config, client redis.UniversalClient, prefix string, reg *numbers.Registry, graph PhoneHealthReader,
	optOutWords func() []string, metrics *Metrics, log *slog.Logger, clk clock.Clock, owner string) (*NumberHealth, error) {
	zone, err := healthZone(cfg)
	if err != nil {
		return nil, err
	}
	h := cfg.Health
	policy := health.DefaultPolicy()
	policy.SlowBelow, policy.StopBelow, policy.ResumeAbove = float64(h.SlowBelow), float64(h.StopBelow), float64(h.ResumeAbove)
	policy.MinAllowance, policy.CleanDays = float64(h.MinAllowance)/100, h.CleanDays
	phrases := h.NegativePhrases
	if phrases == nil {
		phrases = health.DefaultPhrases()
	}
	o := NumberHealthOptions{Store: health.NewRedisStore(client, prefix), Registry: reg, Graph: graph, Weights: health.DefaultWeights(),
		Policy: policy, Phrases: phrases, OptOutWords: optOutWords, Zone: zone, Interval: h.Interval, Owner: owner,
		Logger: log, Clock: clk, Registerer: metrics.reg, Restart: warmupRestart{pacing.NewRedisState(client, prefix)}}
	if h.WebhookURL != "" {
		o.Webhook = health.Webhook{URL: h.WebhookURL, Secret: []byte(h.WebhookSecret.Reveal()), Client: &http.Client{Timeout: 10 * time.Second}}
	}
	return NewNumberHealth(o)
}
