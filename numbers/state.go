package numbers

import "time"

// Quality is Meta's quality rating of a number.
type Quality string

// Quality ratings; UNKNOWN until Meta says otherwise.
const (
	QualityGreen   Quality = "GREEN"
	QualityYellow  Quality = "YELLOW"
	QualityRed     Quality = "RED"
	QualityUnknown Quality = "UNKNOWN"
)

// Status says whether a number may send.
type Status string

// Statuses, from the mildest.
const (
	// StatusActive: the number sends.
	StatusActive Status = "active"
	// StatusFlagged: the number still sends, but Meta warned (low quality, a policy
	// violation, a ban scheduled); operators should look.
	StatusFlagged Status = "flagged"
	// StatusRestricted: the number must not send until Until (or until told otherwise when
	// Until is zero).
	StatusRestricted Status = "restricted"
	// StatusBanned: the number or its account is disabled; it never sends again until
	// reinstated.
	StatusBanned Status = "banned"
)

// State is what is known live about a number, shared by every replica through Redis.
type State struct {
	Quality   Quality   `json:"quality"`
	QualityAt time.Time `json:"quality_at,omitzero"`
	Status    Status    `json:"status"`
	// Reason says why the status was set, for operators ("account_update DISABLED_UPDATE:
	// DISABLE", "send error 131048 ...").
	Reason string `json:"reason,omitempty"`
	// Since is when the status was set; events older than it do not change the status,
	// because Meta delivers webhooks out of order.
	Since time.Time `json:"since,omitzero"`
	// Until is when a restriction lifts; zero means it lasts until an event lifts it.
	Until time.Time `json:"until,omitzero"`
	// Throughput is the messages per second Meta announced (1000 after a
	// THROUGHPUT_UPGRADE); 0 means the configured one.
	Throughput int `json:"throughput,omitempty"`
	// Limit is the portfolio's messaging limit tier last reported (TIER_2K, ...).
	Limit string `json:"limit,omitempty"`
}

// fresh is the state of a number nothing is known about.
func fresh() State { return State{Quality: QualityUnknown, Status: StatusActive} }

// Current returns the status in effect at now: a restriction whose Until has passed is
// over.
func (s State) Current(now time.Time) Status {
	if s.Status == StatusRestricted && !s.Until.IsZero() && !now.Before(s.Until) {
		return StatusActive
	}
	if s.Status == "" {
		return StatusActive
	}
	return s.Status
}

// Usable reports whether the number may send at now: it is neither banned nor under a
// restriction.
func (s State) Usable(now time.Time) bool {
	switch s.Current(now) {
	case StatusRestricted, StatusBanned:
		return false
	}
	return true
}
