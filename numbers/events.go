package numbers

import "time"

// Event is something Meta reported about business numbers: a *QualityEvent or an
// *AccountEvent. The server translates the channel's webhook events into them, so the
// registry does not depend on a wire format.
type Event interface {
	numberEvent()
}

// QualityEvent is a change of a number's quality rating or messaging limit (WhatsApp's
// phone_number_quality_update).
type QualityEvent struct {
	At            time.Time // when Meta says it happened; zero: now
	DisplayNumber string    // the number it concerns, as displayed
	Event         string    // FLAGGED, UNFLAGGED, THROUGHPUT_UPGRADE, ONBOARDING, ...
	CurrentLimit  string
	// MaxDailyConversations is the portfolio's messaging limit (TIER_250 ... TIER_UNLIMITED).
	MaxDailyConversations string
}

// AccountEvent is a restriction, violation, ban or lifecycle event of a business account
// (WhatsApp's account_update).
type AccountEvent struct {
	At    time.Time // when Meta says it happened; zero: now
	WABA  string    // the business account
	Event string    // ACCOUNT_RESTRICTION, DISABLED_UPDATE, ACCOUNT_OFFBOARDED, ...
	// PhoneNumber names the one number an event concerns; empty: every number of WABA.
	PhoneNumber   string
	Restrictions  []Restriction
	ViolationType string
	// BanState is DISABLE, SCHEDULE_FOR_DISABLE or REINSTATE for DISABLED_UPDATE.
	BanState string
	BanDate  string
}

// Restriction is one restriction of an ACCOUNT_RESTRICTION event, such as
// RESTRICTED_BIZ_INITIATED_MESSAGING, with the time it lifts (zero: not said).
type Restriction struct {
	Type       string
	Expiration time.Time
}

func (*QualityEvent) numberEvent() {}
func (*AccountEvent) numberEvent() {}
