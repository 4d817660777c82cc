package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/routing"
	"github.com/wasla/wasla/sending"
)

// reasonLabels turn the router's and the sender's refusal reasons, sentences written for
// the history, into short label values that a PromQL selector can name.
var reasonLabels = map[string]string{
	routing.ReasonWaitingInbox:  "waiting_inbox",
	routing.ReasonWaitingBridge: "waiting_bridge",
	routing.ReasonWindowWaiting: "window_template_sent",
	routing.ReasonWindowClosed:  "window_closed",
	routing.ReasonNoBridge:      "no_template",
	routing.ReasonNoNumber:      "no_usable_number",
	routing.ReasonNoInitiation:  "replies_only",
	sending.ReasonUnknownNumber: "unknown_number",
	sending.ReasonUnusable:      "number_unusable",
	sending.ReasonThrottled:     "throttled",
}

// reasonLabel returns the label value of a refusal reason; a reason without one (a newer
// reason this table lacks) is kept as it is rather than lost.
func reasonLabel(reason string) string {
	if l, ok := reasonLabels[reason]; ok {
		return l
	}
	return reason
}

// Metrics are the server's Prometheus metrics on a registry of their own (no global
// registry: two servers in one test process do not collide). All methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	webhookRequests *prometheus.CounterVec
	webhookLatency  prometheus.Histogram
	inbound         *prometheus.CounterVec
	outbound        *prometheus.CounterVec
	errors          *prometheus.CounterVec
	statuses        *prometheus.CounterVec
	refusals        *prometheus.CounterVec
	sendRefusals    *prometheus.CounterVec
	invitations     *prometheus.CounterVec
	templates       *prometheus.CounterVec
	events          *prometheus.CounterVec
	handled         *prometheus.CounterVec
	timers          prometheus.Counter
	reloads         *prometheus.CounterVec
	stale           *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	replyLag        prometheus.Histogram
	outboxFailed    *prometheus.CounterVec
	deliveryStates  *prometheus.CounterVec
	duplicates      *prometheus.CounterVec
	refused         *prometheus.CounterVec

	// Cached children of the vectors every message touches (see counters).
	outboundC, deliveriesC, requestsC, eventsC, inboundC, handledC *counters
}

// NewMetrics registers the server's metrics, the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.webhookRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_webhook_requests_total",
		Help: "Webhook requests by HTTP method and answered status code.",
	}, []string{"method", "code"})
	m.webhookLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "wasla_webhook_duration_seconds",
		Help: "Time from a webhook POST's arrival to its answer; Meta wants a median under 250ms.",
		// Fine below 250ms, where Meta's target is, coarse above.
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.inbound = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_inbound_messages_total",
		Help: "Inbound messages accepted by webhook, by receiving business number and message type.",
	}, []string{"number", "type"})
	m.outbound = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_outbound_messages_total",
		Help: "Messages the Graph API accepted, by sending business number and message type.",
	}, []string{"number", "type"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_whatsapp_errors_total",
		Help: "WhatsApp errors by business number, Meta error code and where they were seen (send, status, webhook).",
	}, []string{"number", "code", "source"})
	m.statuses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_message_statuses_total",
		Help: "Delivery status webhooks by business number and status.",
	}, []string{"number", "status"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_window_refusals_total",
		Help: "Replies the router did not send, by number and reason: window_closed, window_template_sent, waiting_inbox, waiting_bridge, no_template, no_usable_number.",
	}, []string{"number", "reason"})
	m.sendRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_send_refusals_total",
		Help: "Replies the sender did not send, by number and reason: number_unusable (restricted or banned), throttled, unknown_number.",
	}, []string{"number", "reason"})
	m.invitations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_routing_invitations_total",
		Help: "Replies replaced by an invitation to the inbox number (link, bridge, fallback template), by sending number and kind.",
	}, []string{"number", "kind"})
	m.templates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_template_status_updates_total",
		Help: "message_template_status_update webhooks by event (APPROVED, REJECTED, PAUSED, ...).",
	}, []string{"event"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_webhook_events_total",
		Help: "Webhook events by type (message, status, account_update, ...).",
	}, []string{"type"})
	m.handled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_messages_handled_total",
		Help: "Inbound messages the workers ran through the flows, by result (ok, error).",
	}, []string{"result"})
	m.timers = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "wasla_timers_fired_total",
		Help: "Contacts acted for by due timers (burst answers, ask timeouts, waits).",
	})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_flow_reloads_total",
		Help: "Flow reloads by result (ok, error); an error keeps the running flows.",
	}, []string{"result"})
	m.stale = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_webhook_stale_events_total",
		Help: "Webhook events refused because they are older than the replay window, by type.",
	}, []string{"type"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_outbox_attempts_total",
		Help: "Attempts at sending a reply from the outbox, by sending number and result: sent, retry (to try again later), failed (given up, recorded in the history), unknown (an earlier attempt's outcome was lost with its process: this attempt may send the reply twice).",
	}, []string{"number", "result"})
	m.replyLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "wasla_reply_lag_seconds",
		Help: "Time from a reply's commit to the start of each attempt at sending it: grows when the senders or the number's throughput fall behind.",
		// Fine where Meta's own answer time lies, coarse for backlogs of minutes.
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	})
	m.outboxFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_outbox_failed_total",
		Help: "Replies that failed for good, by sending number and error class: given up by the sender (a permanent error, or retries past outbox.give_up_after) or reported failed by a status webhook after Meta accepted them. Each is listed by `wasla outbox failed`.",
	}, []string{"number", "class"})
	m.deliveryStates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_delivery_states_total",
		Help: "Status webhooks applied to the delivery state of a reply sent through the outbox, by state and result: applied (the state moved forward), stale (it was already as far: a late or repeated status), waiting (it overtook the sender's record), copy (the first status of a second copy, see wasla_outbox_duplicates_total), settled (it named a reply's last attempt, cut off with its process: the reply is recorded and not sent again), unknown (not sent through the outbox).",
	}, []string{"state", "result"})
	m.duplicates = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_outbox_duplicates_total",
		Help: "Replies that reached Meta twice, by sending number: a status webhook came for the copy of an attempt whose answer was lost with its process (its callback data names the reply) while another attempt's answer is on record. Counted once per copy. Compare with wasla_outbox_attempts_total{result=\"unknown\"}: the attempts that may have sent twice.",
	}, []string{"number"})
	m.reg.MustRegister(m.replyLag, m.outboxFailed, m.deliveryStates, m.duplicates)
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wasla_webhook_refused_total",
		Help: "Webhook POSTs answered 503 with Retry-After, for Meta to deliver again later, by reason: busy (no handler slot within a second), backlog (intake depth or reply lag over its refuse bound).",
	}, []string{"reason"})
	m.reg.MustRegister(m.refused)
	m.outboundC, m.deliveriesC = newCounters(m.outbound, false), newCounters(m.deliveries, false)
	m.requestsC, m.inboundC = newCounters(m.webhookRequests, false), newCounters(m.inbound, false)
	m.eventsC, m.handledC = newCounters(m.events, true), newCounters(m.handled, true)
	m.reg.MustRegister(m.stale, m.webhookRequests, m.webhookLatency, m.inbound, m.outbound, m.errors,
		m.statuses, m.refusals, m.sendRefusals, m.invitations, m.templates, m.events, m.handled, m.timers, m.reloads,
		m.deliveries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Outbound counts a message the Graph API accepted.
func (m *Metrics) Outbound(number chat.NumberID, kind chat.Kind) {
	m.outboundC.with(string(number), string(kind)).Inc()
}

// SendError counts an error code the Graph API answered a send with.
func (m *Metrics) SendError(number chat.NumberID, code int) {
	m.errors.WithLabelValues(string(number), strconv.Itoa(code), "send").Inc()
}

// SendRefused counts a reply the sender did not send.
func (m *Metrics) SendRefused(number chat.NumberID, reason string) {
	m.sendRefusals.WithLabelValues(string(number), reasonLabel(reason)).Inc()
}

// Refused counts a reply the router refused instead of sending (window closed, waiting for
// the contact on the inbox number).
func (m *Metrics) Refused(number chat.NumberID, reason string) {
	m.refusals.WithLabelValues(string(number), reasonLabel(reason)).Inc()
}

// Invited counts a reply replaced by an invitation to the inbox number.
func (m *Metrics) Invited(number chat.NumberID, kind string) {
	m.invitations.WithLabelValues(string(number), kind).Inc()
}

// registerGauges adds the gauges read at scrape time: intake depth (from its cache, see
// depthCache) and number states (from the registry's memory).
func (m *Metrics) registerGauges(depth *depthCache, numbers Numbers) {
	if depth != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wasla_intake_queue_depth",
			Help: "Inbound messages recorded and waiting for a worker, as read from Redis at most 5s ago (-1: unknown).",
		}, depth.get))
	}
	if numbers != nil {
		m.reg.MustRegister(&numberCollector{numbers: numbers})
	}
}

// registerBacklog adds the push-back's gauges: the level it is at and the reply lag it
// judges by.
func (m *Metrics) registerBacklog(b *backlog) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wasla_backlog_level",
		Help: "What the server does about its backlog: 0 everything, 1 optional work shed (marks as read), 2 webhooks refused with 503.",
	}, func() float64 { return float64(b.judge()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "wasla_reply_lag_last_seconds",
			Help: "The reply lag of the latest attempt at sending a reply (0 when none for a second: the outbox is empty): what the push-back judges by.",
		}, func() float64 { return b.replyLag().Seconds() }))
}

// numberCollector reports each number's quality and state in the state-set form: one
// series per number with value 1 and the current value as a label.
type numberCollector struct{ numbers Numbers }

var (
	qualityDesc = prometheus.NewDesc("wasla_number_quality",
		"Quality rating of each business number (value 1 on the current rating).",
		[]string{"number", "role", "quality"}, nil)
	stateDesc = prometheus.NewDesc("wasla_number_state",
		"State of each business number (value 1 on the current state): active, flagged, replies_only, restricted, banned.",
		[]string{"number", "role", "state"}, nil)
)

func (c *numberCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- qualityDesc
	ch <- stateDesc
}

func (c *numberCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	states, err := c.numbers.States(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(qualityDesc, err)
		return
	}
	for _, s := range states {
		ch <- prometheus.MustNewConstMetric(qualityDesc, prometheus.GaugeValue, 1, string(s.Number), s.Role, s.Quality)
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, 1, string(s.Number), s.Role, s.State)
	}
}

// ReplyLag observes how long a reply waited in the outbox before an attempt at it.
func (m *Metrics) ReplyLag(d time.Duration) { m.replyLag.Observe(d.Seconds()) }

// OutboxFailed counts a reply that failed for good.
func (m *Metrics) OutboxFailed(number chat.NumberID, class string) {
	m.outboxFailed.WithLabelValues(string(number), class).Inc()
}

// Delivery counts an attempt at sending a reply from the outbox.
func (m *Metrics) Delivery(number chat.NumberID, result string) {
	m.deliveriesC.with(string(number), result).Inc()
}
