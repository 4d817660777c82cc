package numbers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
)

// UpgradedThroughput is the throughput Meta grants with a THROUGHPUT_UPGRADE.
const UpgradedThroughput = 1000

// Apply updates the state of the numbers a webhook event concerns and returns their ids
// when their state changed. A *QualityEvent is matched by display number, an
// *AccountEvent by the phone number it names, else every number of its account; events
// about numbers not in the registry change nothing.
//
// Webhooks arrive out of order, so an event older than the status or quality it would
// replace is ignored.
func (r *Registry) Apply(ctx context.Context, ev Event) ([]chat.NumberID, error) {
	now := r.clock.Now()
	switch ev := ev.(type) {
	case *QualityEvent:
		n, ok := r.ByDisplay(ev.DisplayNumber)
		if !ok {
			return nil, nil
		}
		at := orNow(ev.At, now)
		return r.update(ctx, []chat.NumberID{n.ID}, func(_ Number, st *State) bool {
			return applyQuality(st, ev, at, now)
		})
	case *AccountEvent:
		ids := r.accountNumbers(ev)
		if len(ids) == 0 {
			return nil, nil
		}
		at := orNow(ev.At, now)
		return r.update(ctx, ids, func(_ Number, st *State) bool {
			return applyAccount(st, ev, at, now)
		})
	}
	return nil, nil
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// accountNumbers returns the numbers an account_update concerns: the one it names, else
// every number of its account.
func (r *Registry) accountNumbers(ev *AccountEvent) []chat.NumberID {
	if ev.PhoneNumber != "" {
		if n, ok := r.ByDisplay(ev.PhoneNumber); ok {
			return []chat.NumberID{n.ID}
		}
		if n, ok := r.Lookup(chat.NumberID(ev.PhoneNumber)); ok {
			return []chat.NumberID{n.ID}
		}
		return nil
	}
	if ev.WABA == "" {
		return nil
	}
	var ids []chat.NumberID
	for _, n := range r.list {
		if n.WABA == ev.WABA {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// applyQuality merges a phone_number_quality_update. FLAGGED means the quality fell to
// low (RED) and flags the number; UNFLAGGED lifts it to at least medium (YELLOW: the
// payload does not say which); THROUGHPUT_UPGRADE raises the throughput. Every event
// carries the portfolio's messaging limit.
func applyQuality(st *State, ev *QualityEvent, at, now time.Time) bool {
	changed := false
	if lim := cmpOr(ev.MaxDailyConversations, ev.CurrentLimit); lim != "" && lim != st.Limit {
		st.Limit, changed = lim, true
	}
	switch strings.ToUpper(ev.Event) {
	case "FLAGGED":
		if at.Before(st.QualityAt) {
			return changed
		}
		st.Quality, st.QualityAt = QualityRed, at
		if st.Current(now) == StatusActive && !at.Before(st.Since) {
			st.Status, st.Reason, st.Since, st.Until = StatusFlagged, "quality flagged by Meta", at, time.Time{}
		}
		return true
	case "UNFLAGGED":
		if at.Before(st.QualityAt) {
			return changed
		}
		st.Quality, st.QualityAt = QualityYellow, at
		if st.Status == StatusFlagged && !at.Before(st.Since) {
			st.Status, st.Reason, st.Since = StatusActive, "quality unflagged by Meta", at
		}
		return true
	case "THROUGHPUT_UPGRADE":
		if st.Throughput != UpgradedThroughput {
			st.Throughput, changed = UpgradedThroughput, true
		}
	}
	return changed
}

// The account restriction types that change what a number may send (account_update
// reference; WHATSAPP.md §4.4). The others (adding phone numbers, creating utility
// templates, Direct Send, calling) leave messaging alone and only flag the number.
const (
	// RestrictedInitiation forbids starting conversations: no template outside a
	// contact's window, no campaign. Replies inside the window still go out.
	RestrictedInitiation = "RESTRICTED_BIZ_INITIATED_MESSAGING"
	// RestrictedReplies forbids answering customers; with nothing else it leaves nothing
	// wasla could usefully send, so it stops the number.
	RestrictedReplies = "RESTRICTED_CUSTOMER_INITIATED_MESSAGING"
)

// applyAccount merges an account_update into a number of the account.
//
//   - ACCOUNT_RESTRICTION with RESTRICTED_BIZ_INITIATED_MESSAGING makes the number
//     replies-only until its expiration; with RESTRICTED_CUSTOMER_INITIATED_MESSAGING it
//     restricts it fully until that one's expiration, then replies-only for as long as
//     the other lasts; other restriction types only flag it;
//   - DISABLED_UPDATE DISABLE, ACCOUNT_DELETED and ACCOUNT_OFFBOARDED (and the older
//     DISABLED and BANNED) ban it; SCHEDULE_FOR_DISABLE and ACCOUNT_VIOLATION flag it;
//   - DISABLED_UPDATE REINSTATE and ACCOUNT_RECONNECTED make it active again.
//
// Other events change nothing. An event lists every restriction in force, so a newer one
// replaces what an older one said.
func applyAccount(st *State, ev *AccountEvent, at, now time.Time) bool {
	event := strings.ToUpper(ev.Event)
	reason := "account_update " + event
	set := func(s Status, why string, until time.Time) bool {
		if at.Before(st.Since) && !lateButWorse(st.Current(now), s) {
			return false // an older event arriving late, overtaken by the current status
		}
		st.Status, st.Reason, st.Since, st.Until = s, why, at, until
		st.Next, st.NextUntil = "", time.Time{}
		return true
	}
	switch event {
	case "ACCOUNT_RESTRICTION":
		var initiation, replies restrictionSpan
		var others []string
		for _, rs := range ev.Restrictions {
			switch rs.Type {
			case RestrictedInitiation:
				initiation.add(rs.Expiration)
			case RestrictedReplies:
				replies.add(rs.Expiration)
			default:
				others = append(others, rs.Type)
			}
		}
		replies.dropIfOver(now)
		initiation.dropIfOver(now)
		if replies.set || initiation.set {
			if st.Current(now) == StatusBanned {
				return false
			}
			if !replies.set {
				return set(StatusRepliesOnly, reason+": "+RestrictedInitiation, initiation.until)
			}
			why := reason + ": " + RestrictedReplies
			if initiation.set {
				why += ", " + RestrictedInitiation
			}
			if !set(StatusRestricted, why, replies.until) {
				return false
			}
			if initiation.set && !replies.until.IsZero() && (initiation.until.IsZero() || initiation.until.After(replies.until)) {
				st.Next, st.NextUntil = StatusRepliesOnly, initiation.until
			}
			return true
		}
		if len(ev.Restrictions) > 0 && len(others) == 0 {
			return false // every messaging restriction it names is already over
		}
		if len(others) > 0 && st.Current(now) == StatusActive {
			return set(StatusFlagged, reason+": "+strings.Join(others, ", "), time.Time{})
		}
	case "ACCOUNT_VIOLATION", "PHONE_NUMBER_FLAGGED":
		if st.Current(now) == StatusActive {
			return set(StatusFlagged, withDetail(reason, ev.ViolationType), time.Time{})
		}
	case "DISABLED_UPDATE":
		switch strings.ToUpper(ev.BanState) {
		case "DISABLE":
			return set(StatusBanned, withDetail(reason+": DISABLE", ev.BanDate), time.Time{})
		case "SCHEDULE_FOR_DISABLE":
			if st.Current(now) == StatusActive {
				return set(StatusFlagged, withDetail(reason+": SCHEDULE_FOR_DISABLE", ev.BanDate), time.Time{})
			}
		case "REINSTATE":
			return set(StatusActive, reason+": REINSTATE", time.Time{})
		}
	case "ACCOUNT_DELETED", "ACCOUNT_OFFBOARDED", "DISABLED", "BANNED":
		return set(StatusBanned, reason, time.Time{})
	case "ACCOUNT_RECONNECTED":
		return set(StatusActive, reason, time.Time{})
	}
	return false
}

// severity orders statuses from the mildest.
var severity = map[Status]int{StatusActive: 0, StatusFlagged: 1, StatusRepliesOnly: 2, StatusRestricted: 3, StatusBanned: 4}

// restrictionSpan is how long one restriction type of an event lasts: until the latest
// expiration given for it, or with no end when one of them gives none.
type restrictionSpan struct {
	set   bool
	until time.Time // zero: no end said
}

func (s *restrictionSpan) add(exp time.Time) {
	switch {
	case !s.set:
		s.set, s.until = true, exp
	case s.until.IsZero() || exp.IsZero():
		s.until = time.Time{}
	case exp.After(s.until):
		s.until = exp
	}
}

// dropIfOver forgets a restriction whose expiration has already passed.
func (s *restrictionSpan) dropIfOver(now time.Time) {
	if s.set && over(s.until, now) {
		*s = restrictionSpan{}
	}
}

// lateButWorse reports whether an event older than the current status must still apply:
// when it makes things worse and the current status is not the result of a lift. A ban
// that arrives after a newer quality flag still bans (nothing lifted it); a ban that
// arrives after a newer reinstatement does not.
func lateButWorse(cur, next Status) bool {
	return cur != StatusActive && severity[next] > severity[cur]
}

func withDetail(reason, detail string) string {
	if detail == "" {
		return reason
	}
	return fmt.Sprintf("%s (%s)", reason, detail)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
