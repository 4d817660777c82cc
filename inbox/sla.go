package inbox

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows/schedule"
)

// SLA kinds: which clock a deadline comes from.
const (
	SLAFirstResponse = "first_response" // from the hand-off to the first agent reply
	SLANextResponse  = "next_response"  // from a customer message to the agent's answer
	SLAWindow        = "window"         // the 24-hour window closes first
)

// Deadline is when the conversation needs an agent's answer, and why.
type Deadline struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
}

// QueueSchedules is an Engine that knows the queues' opening hours (settings.queues of
// the running flows); *engine.Engine is one. Without it SLA targets count every hour.
type QueueSchedules interface {
	QueueSchedule(queue string) *schedule.Schedule
}

// schedule returns the opening schedule of queue; nil: always open.
func (ib *Inbox) schedule(queue string) *schedule.Schedule {
	if qs, ok := ib.eng.(QueueSchedules); ok {
		return qs.QueueSchedule(queue)
	}
	return nil
}

// slaTarget returns the queue's pending target: the first-response target until an agent
// answered after the hand-off, then the next-response target while a customer message
// waits for an answer. Targets count the queue's open hours only (hours), so a message at
// 16:55 with a 30-minute target and a 17:00 close is due at 09:25 on the next open day.
// Zero when nothing is owed or the queue sets no target.
func slaTarget(c *Conversation, q *Queue, hours *schedule.Schedule) (time.Time, string) {
	if q == nil || c.State == StateClosed {
		return time.Time{}, ""
	}
	due := func(from time.Time, d time.Duration) time.Time {
		if at, ok := hours.AddOpen(from, d); ok {
			return at
		}
		return from.Add(d) // a queue never open again: the plain target
	}
	if c.FirstReply.IsZero() {
		if q.FirstResponse > 0 {
			return due(c.Opened, q.FirstResponse), SLAFirstResponse
		}
		return time.Time{}, ""
	}
	if !c.Awaiting.IsZero() && q.NextResponse > 0 {
		return due(c.Awaiting, q.NextResponse), SLANextResponse
	}
	return time.Time{}, ""
}

// DeadlineOf is the deadline the list shows: the earlier of the queue's pending target and
// the moment the customer's 24-hour window closes, since after that an answer costs a
// template. Targets count the open hours of the queue (hours; nil: every hour). Nil when
// the conversation owes no answer.
func DeadlineOf(c *Conversation, q *Queue, hours *schedule.Schedule) *Deadline {
	at, kind := slaTarget(c, q, hours)
	if at.IsZero() && c.Awaiting.IsZero() && !c.FirstReply.IsZero() {
		return nil // nothing owed: the window closing is no deadline
	}
	if c.State == StateClosed {
		return nil
	}
	if !c.LastInbound.IsZero() {
		if closes := c.LastInbound.Add(chat.ServiceWindow); at.IsZero() || closes.Before(at) {
			at, kind = closes, SLAWindow
		}
	}
	if at.IsZero() {
		return nil
	}
	return &Deadline{At: at, Kind: kind}
}

// breach returns the kind of target the conversation's pending answer missed at moment
// at, "" when it is in time or none is pending.
func (ib *Inbox) breach(c *Conversation, at time.Time) string {
	q, _ := ib.cfg.Queue(c.Queue)
	due, kind := slaTarget(c, q, ib.schedule(c.Queue))
	if due.IsZero() || !at.After(due) {
		return ""
	}
	return kind
}

// Metrics are the inbox's Prometheus collectors.
type Metrics struct {
	breaches      *prometheus.CounterVec
	claims        *prometheus.CounterVec
	denied        *prometheus.CounterVec
	observeErrors prometheus.Counter
}

func newMetrics() *Metrics {
	return &Metrics{
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasla_inbox_sla_breaches_total",
			Help: "Agent answers that came after the queue's SLA target (or never came before the conversation ended), by queue and target.",
		}, []string{"queue", "target"}),
		claims: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasla_inbox_claims_total",
			Help: "Claims of conversations, by result (won, lost to another agent).",
		}, []string{"result"}),
		denied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wasla_inbox_denied_total",
			Help: "Inbox API requests refused: unauthorized (bad or missing token) or forbidden (not the agent's queue or role).",
		}, []string{"reason"}),
		observeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wasla_inbox_observe_errors_total",
			Help: "Commits whose conversation record or live event could not be written (logged at warn).",
		}),
	}
}

// Collectors returns the inbox's metrics, for the server's registry.
func (ib *Inbox) Collectors() []prometheus.Collector {
	m := ib.metrics
	return []prometheus.Collector{m.breaches, m.claims, m.denied, m.observeErrors}
}
