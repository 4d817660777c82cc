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
	// StatusRepliesOnly: Meta forbids the number's account to start conversations
	// (RESTRICTED_BIZ_INITIATED_MESSAGING) until Until: replies inside a contact's 24-hour
	// window still go out from it, but no template outside the window and no campaign.
	StatusRepliesOnly Status = "replies_only"
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
	// Next is the status that follows when a restriction reaches Until, lasting until
	// NextUntil (zero: until an event lifts it); empty: active. A full restriction laid
	// over a longer replies-only one (a send error, or both restriction types at once)
	// falls back to replies-only rather than to active.
	Next      Status    `json:"next,omitempty"`
	NextUntil time.Time `json:"next_until,omitzero"`
	// Throughput is the messages per second Meta announced (1000 after a
	// THROUGHPUT_UPGRADE); 0 means the configured one.
	Throughput int `json:"throughput,omitempty"`
	// Limit is the portfolio's messaging limit tier last reported (TIER_2K, ...).
	Limit string `json:"limit,omitempty"`
}

// fresh is the state of a number nothing is known about.
func fresh() State { return State{Quality: QualityUnknown, Status: StatusActive} }

// Current returns the status in effect at now: a restriction whose Until has passed is
// over, and gives way to Next while NextUntil has not passed. No one has to write the
// lift down: the clock alone ends a restriction, on every replica at once.
func (s State) Current(now time.Time) Status {
	if (s.Status == StatusRestricted || s.Status == StatusRepliesOnly) && over(s.Until, now) {
		if s.Next != "" && !over(s.NextUntil, now) {
			return s.Next
		}
		return StatusActive
	}
	if s.Status == "" {
		return StatusActive
	}
	return s.Status
}

// LiftsAt returns when the status in effect at now ends by the clock, or the zero time
// when only an event can end it.
func (s State) LiftsAt(now time.Time) time.Time {
	switch {
	case s.Status != StatusRestricted && s.Status != StatusRepliesOnly:
		return time.Time{}
	case !over(s.Until, now):
		return s.Until
	case s.Next != "" && !over(s.NextUntil, now):
		return s.NextUntil
	}
	return time.Time{}
}

// over reports whether a restriction ending at until (zero: never by the clock) is over
// at now.
func over(until, now time.Time) bool { return !until.IsZero() && !now.Before(until) }

// Usable reports whether the number may send at now, replies inside a contact's window at
// least: it is neither banned nor under a full restriction. A replies-only number is
// usable; whether it may also start conversations is CanInitiate.
func (s State) Usable(now time.Time) bool {
	switch s.Current(now) {
	case StatusRestricted, StatusBanned:
		return false
	}
	return true
}

// CanInitiate reports whether the number may start conversations at now: send templates
// outside a contact's 24-hour window, and campaigns. Only an active or flagged number may.
func (s State) CanInitiate(now time.Time) bool {
	switch s.Current(now) {
	case StatusActive, StatusFlagged:
		return true
	}
	return false
}
