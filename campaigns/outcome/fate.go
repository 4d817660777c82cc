package outcome

import (
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
)

// Fate is what a failed send means for the campaign.
type Fate int

// Fates.
const (
	// Permanent: this contact will not receive the campaign (not on WhatsApp, an invalid
	// number, a problem no retry fixes). Not retried.
	Permanent Fate = iota
	// Transient: Meta could not take the message now (throughput 130429, pair rate 131056,
	// maintenance, a 5xx). Retried with back-off.
	Transient
	// Fatigued: 131049, the recipient reached Meta's per-user marketing cap. Retried on the
	// Ladder; never a quality signal.
	Fatigued
	// OptedOutByMeta: 131050, the user turned off marketing messages: permanent, and the
	// contact is opted out of every campaign.
	OptedOutByMeta
	// Reassign: the number may not send (restricted, banned, spam limit). The contact is
	// not at fault: it goes back to the queue for another number of the pool.
	Reassign
	// TemplateProblem: the template is missing, paused, disabled or mis-filled (132xxx).
	// Every send would fail alike: the campaign pauses and says why.
	TemplateProblem
)

// String names the fate for logs and metrics.
func (f Fate) String() string {
	switch f {
	case Transient:
		return "transient"
	case Fatigued:
		return "fatigued"
	case OptedOutByMeta:
		return "opted_out"
	case Reassign:
		return "reassign"
	case TemplateProblem:
		return "template"
	}
	return "permanent"
}

// Classify returns the fate of a Graph API error code (httpStatus 0 when it came in a
// status webhook). It builds on the WhatsApp channel's classes (whatsapp.Classify), and
// splits what a campaign treats differently: 131049 and 131050 out of "unreachable", a
// window-closed error (a template is never outside a window, so a bug) as permanent.
func Classify(code, httpStatus int) Fate {
	switch code {
	case 131049:
		return Fatigued
	case 131050:
		return OptedOutByMeta
	}
	switch whatsapp.Classify(code, httpStatus) {
	case whatsapp.ClassBackOff:
		return Transient
	case whatsapp.ClassRestricted:
		return Reassign
	case whatsapp.ClassTemplate:
		return TemplateProblem
	}
	return Permanent
}

// QualitySignal reports whether a failure code says something about the number's
// quality, for the warm-up's clean-day judgement and the health score: undeliverable
// (131026), the spam rate limit (131048) and restrictions (131031, 368). 131049 never
// does: the cap is the recipient's, across every business.
func QualitySignal(code int) bool {
	switch code {
	case 131026, 131048, 131031, 368:
		return true
	}
	return false
}

// Ladder is when a fatigued (131049) recipient is tried again: Steps[i] after the i-th
// failure. Meta asks to wait at least 24 hours before resending to a capped user.
type Ladder struct {
	Steps []time.Duration
}

// DefaultLadder returns 24 h, 48 h, 72 h: at most three retries.
func DefaultLadder() Ladder {
	return Ladder{Steps: []time.Duration{24 * time.Hour, 48 * time.Hour, 72 * time.Hour}}
}

// Next returns when to retry after the failure of attempt (1 for the first send) at
// failedAt, or false when the ladder is exhausted.
func (l Ladder) Next(attempt int, failedAt time.Time) (time.Time, bool) {
	if attempt < 1 || attempt > len(l.Steps) {
		return time.Time{}, false
	}
	return failedAt.Add(l.Steps[attempt-1]), true
}

// Backoff is when a transient failure is tried again: Base doubled per attempt, at most
// Max, for at most Attempts attempts in all.
type Backoff struct {
	Base, Max time.Duration
	Attempts  int
}

// DefaultBackoff returns 1 minute doubling to at most 1 hour, 6 attempts in all.
func DefaultBackoff() Backoff { return Backoff{Base: time.Minute, Max: time.Hour, Attempts: 6} }

// Next returns when to retry after the failure of attempt at failedAt, or false when no
// attempt is left.
func (b Backoff) Next(attempt int, failedAt time.Time) (time.Time, bool) {
	if attempt < 1 || attempt >= b.Attempts {
		return time.Time{}, false
	}
	d := b.Base
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	return failedAt.Add(min(d, b.Max)), true
}
