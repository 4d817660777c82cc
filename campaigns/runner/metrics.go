package runner

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasla/wasla/chat"
)

// Metrics are the campaigns' Prometheus metrics, per campaign and number. A nil
// *Metrics records nothing.
type Metrics struct {
	sends    *prometheus.CounterVec
	failures *prometheus.CounterVec
	statuses *prometheus.CounterVec
	step     *prometheus.GaugeVec
	verdicts *prometheus.CounterVec
	replies  *prometheus.CounterVec
	holds    prometheus.Counter
}

// NewMetrics registers the campaign metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_campaign_sends_total",
			Help: "Campaign templates Meta accepted, by campaign and number."}, []string{"campaign", "number"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_campaign_send_failures_total",
			Help: "Campaign sends that failed, by campaign, number and Meta's error code (0: no answer)."}, []string{"campaign", "number", "code"}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_campaign_statuses_total",
			Help: "Status webhooks that settled a campaign attempt, by campaign, number and status."}, []string{"campaign", "number", "status"}),
		step: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wasla_campaign_number_warmup_step",
			Help: "The warm-up step (0 the first) a campaign number stands on, as last judged by this replica."}, []string{"number"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_campaign_number_days_judged_total",
			Help: "Campaign numbers' days judged for the warm-up, by number and verdict (clean, quiet, dirty)."}, []string{"number", "verdict"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wasla_campaign_replies_total",
			Help: "Contacts who replied to a campaign (once per campaign and contact), by campaign and the number that sent."}, []string{"campaign", "number"}),
		holds: prometheus.NewCounter(prometheus.CounterOpts{Name: "wasla_campaign_passes_held_total",
			Help: "Campaign passes that sent nothing because webhooks (statuses) were not being recorded."}),
	}
	reg.MustRegister(m.sends, m.failures, m.statuses, m.step, m.verdicts, m.replies, m.holds)
	return m
}

func (m *Metrics) sent(campaign string, number chat.NumberID) {
	if m != nil {
		m.sends.WithLabelValues(campaign, string(number)).Inc()
	}
}

func (m *Metrics) failed(campaign string, number chat.NumberID, code int) {
	if m != nil {
		m.failures.WithLabelValues(campaign, string(number), strconv.Itoa(code)).Inc()
	}
}

func (m *Metrics) status(campaign string, number chat.NumberID, level, code int) {
	if m == nil {
		return
	}
	name := [...]string{"failed", "sent", "delivered", "read"}[min(max(level, 0), 3)]
	m.statuses.WithLabelValues(campaign, string(number), name).Inc()
}

func (m *Metrics) warmup(number chat.NumberID, step int, verdict string) {
	if m != nil {
		m.step.WithLabelValues(string(number)).Set(float64(step))
		m.verdicts.WithLabelValues(string(number), verdict).Inc()
	}
}

func (m *Metrics) replied(campaign string, number chat.NumberID) {
	if m != nil {
		m.replies.WithLabelValues(campaign, string(number)).Inc()
	}
}

func (m *Metrics) held() {
	if m != nil {
		m.holds.Inc()
	}
}
