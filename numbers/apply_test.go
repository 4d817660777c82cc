package numbers

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

func quality(display, event string, at time.Time) *QualityEvent {
	return &QualityEvent{At: at, DisplayNumber: display, Event: event}
}

func account(waba, event string, at time.Time, edit func(*AccountEvent)) *AccountEvent {
	ev := &AccountEvent{WABA: waba, At: at, Event: event}
	if edit != nil {
		edit(ev)
	}
	return ev
}

func restriction(types ...string) func(*AccountEvent) {
	return func(ev *AccountEvent) {
		for _, ty := range types {
			ev.Restrictions = append(ev.Restrictions, Restriction{Type: ty, Expiration: t0.Add(7 * 24 * time.Hour)})
		}
	}
}

func TestApply(t *testing.T) {
	week := t0.Add(7 * 24 * time.Hour)
	banned := State{Quality: QualityUnknown, Status: StatusBanned, Reason: "account_update DISABLED_UPDATE: DISABLE", Since: t0}
	tests := []struct {
		name    string
		before  map[chat.NumberID]State // stored before the event
		ev      Event
		changed []chat.NumberID
		id      chat.NumberID // the number to check
		want    State
	}{
		{name: "flagged by quality", ev: quality("966550000002", "FLAGGED", t0),
			changed: []chat.NumberID{"2001"}, id: "2001",
			want: State{Quality: QualityRed, QualityAt: t0, Status: StatusFlagged, Reason: "quality flagged by Meta", Since: t0}},
		{name: "unflagged", before: map[chat.NumberID]State{"2001": {Quality: QualityRed, QualityAt: t0, Status: StatusFlagged, Since: t0}},
			ev: quality("+966 55 000 0002", "UNFLAGGED", t0.Add(time.Hour)), changed: []chat.NumberID{"2001"}, id: "2001",
			want: State{Quality: QualityYellow, QualityAt: t0.Add(time.Hour), Status: StatusActive, Reason: "quality unflagged by Meta", Since: t0.Add(time.Hour)}},
		{name: "late flagged after unflagged is ignored",
			before: map[chat.NumberID]State{"2001": {Quality: QualityYellow, QualityAt: t0.Add(time.Hour), Status: StatusActive, Since: t0.Add(time.Hour)}},
			ev:     quality("966550000002", "FLAGGED", t0), id: "2001",
			want: State{Quality: QualityYellow, QualityAt: t0.Add(time.Hour), Status: StatusActive, Since: t0.Add(time.Hour)}},
		{name: "flagged keeps a ban", before: map[chat.NumberID]State{"2001": banned},
			ev: quality("966550000002", "FLAGGED", t0.Add(time.Minute)), changed: []chat.NumberID{"2001"}, id: "2001",
			want: State{Quality: QualityRed, QualityAt: t0.Add(time.Minute), Status: StatusBanned, Reason: banned.Reason, Since: t0}},
		{name: "throughput upgrade", ev: func() Event {
			ev := quality("966550000001", "THROUGHPUT_UPGRADE", t0)
			ev.CurrentLimit = "TIER_UNLIMITED"
			return ev
		}(), changed: []chat.NumberID{"1001"}, id: "1001",
			want: State{Quality: QualityUnknown, Status: StatusActive, Throughput: 1000, Limit: "TIER_UNLIMITED"}},
		{name: "onboarding limit", ev: func() Event {
			ev := quality("966550000003", "ONBOARDING", t0)
			ev.MaxDailyConversations = "TIER_2K"
			return ev
		}(), changed: []chat.NumberID{"2002"}, id: "2002",
			want: State{Quality: QualityUnknown, Status: StatusActive, Limit: "TIER_2K"}},
		{name: "quality of an unknown number", ev: quality("15550783881", "FLAGGED", t0), id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive}},
		{name: "ban of the campaign account", ev: account("w-camp", "DISABLED_UPDATE", t0, func(ev *AccountEvent) { ev.BanState = "DISABLE" }),
			changed: []chat.NumberID{"2001", "2002"}, id: "2002", want: banned},
		{name: "ban leaves the inbox account alone", ev: account("w-camp", "DISABLED_UPDATE", t0, func(ev *AccountEvent) { ev.BanState = "DISABLE" }),
			changed: []chat.NumberID{"2001", "2002"}, id: "1001", want: State{Quality: QualityUnknown, Status: StatusActive}},
		{name: "ban date in the reason", ev: account("w-inbox", "DISABLED_UPDATE", t0, func(ev *AccountEvent) { ev.BanState = "DISABLE"; ev.BanDate = "October 9, 2023" }),
			changed: []chat.NumberID{"1001"}, id: "1001",
			want: State{Quality: QualityUnknown, Status: StatusBanned, Reason: "account_update DISABLED_UPDATE: DISABLE (October 9, 2023)", Since: t0}},
		{name: "scheduled for disable flags", ev: account("w-camp", "DISABLED_UPDATE", t0, func(ev *AccountEvent) { ev.BanState = "SCHEDULE_FOR_DISABLE" }),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusFlagged, Reason: "account_update DISABLED_UPDATE: SCHEDULE_FOR_DISABLE", Since: t0}},
		{name: "reinstated", before: map[chat.NumberID]State{"2001": banned},
			ev:      account("w-camp", "DISABLED_UPDATE", t0.Add(time.Hour), func(ev *AccountEvent) { ev.BanState = "REINSTATE" }),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive, Reason: "account_update DISABLED_UPDATE: REINSTATE", Since: t0.Add(time.Hour)}},
		{name: "late ban after reinstatement is ignored",
			before:  map[chat.NumberID]State{"2001": {Quality: QualityUnknown, Status: StatusActive, Reason: "reinstated", Since: t0.Add(time.Hour)}},
			ev:      account("w-camp", "DISABLED_UPDATE", t0, func(ev *AccountEvent) { ev.BanState = "DISABLE" }),
			changed: []chat.NumberID{"2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive, Reason: "reinstated", Since: t0.Add(time.Hour)}},
		{name: "late ban after a newer flag still bans",
			before:  map[chat.NumberID]State{"2001": {Quality: QualityRed, Status: StatusFlagged, Reason: "quality flagged by Meta", Since: t0.Add(time.Hour)}},
			ev:      account("w-camp", "DISABLED_UPDATE", t0, func(ev *AccountEvent) { ev.BanState = "DISABLE" }),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityRed, Status: StatusBanned, Reason: "account_update DISABLED_UPDATE: DISABLE", Since: t0}},
		{name: "late restriction after a newer ban is ignored", before: map[chat.NumberID]State{"2001": {Quality: QualityUnknown, Status: StatusBanned, Since: t0.Add(time.Hour)}},
			ev:      account("w-camp", "ACCOUNT_RESTRICTION", t0, restriction("RESTRICTED_BIZ_INITIATED_MESSAGING")),
			changed: []chat.NumberID{"2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusBanned, Since: t0.Add(time.Hour)}},
		{name: "business-initiated restriction is replies-only", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0,
			restriction("RESTRICTED_BIZ_INITIATED_MESSAGING", "RESTRICTED_ADD_PHONE_NUMBER_ACTION")),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusRepliesOnly, Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_BIZ_INITIATED_MESSAGING", Since: t0, Until: week}},
		{name: "customer-initiated restriction stops the number", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0,
			restriction("RESTRICTED_CUSTOMER_INITIATED_MESSAGING")),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusRestricted, Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_CUSTOMER_INITIATED_MESSAGING", Since: t0, Until: week}},
		{name: "both restrictions: full, then replies-only for the longer one", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0, func(ev *AccountEvent) {
			ev.Restrictions = []Restriction{
				{Type: "RESTRICTED_BIZ_INITIATED_MESSAGING", Expiration: week},
				{Type: "RESTRICTED_CUSTOMER_INITIATED_MESSAGING", Expiration: t0.Add(24 * time.Hour)},
			}
		}), changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusRestricted, Since: t0, Until: t0.Add(24 * time.Hour), Next: StatusRepliesOnly, NextUntil: week,
				Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_CUSTOMER_INITIATED_MESSAGING, RESTRICTED_BIZ_INITIATED_MESSAGING"}},
		{name: "newer replies-only replaces a full restriction", before: map[chat.NumberID]State{"2001": {Quality: QualityUnknown, Status: StatusRestricted, Since: t0.Add(-time.Hour)}},
			ev:      account("w-camp", "ACCOUNT_RESTRICTION", t0, restriction("RESTRICTED_BIZ_INITIATED_MESSAGING")),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusRepliesOnly, Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_BIZ_INITIATED_MESSAGING", Since: t0, Until: week}},
		{name: "utility template restriction only flags", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0, restriction("RESTRICTED_UTILITY_TEMPLATES")),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusFlagged, Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_UTILITY_TEMPLATES", Since: t0}},
		{name: "restriction without expiry lasts", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0, func(ev *AccountEvent) {
			ev.Restrictions = []Restriction{{Type: "RESTRICTED_CUSTOMER_INITIATED_MESSAGING"}}
		}), changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusRestricted, Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_CUSTOMER_INITIATED_MESSAGING", Since: t0}},
		{name: "restriction already over", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0.Add(-8*24*time.Hour), func(ev *AccountEvent) {
			ev.Restrictions = []Restriction{{Type: "RESTRICTED_BIZ_INITIATED_MESSAGING", Expiration: t0.Add(-time.Hour)}}
		}), id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive}},
		{name: "non-messaging restriction only flags", ev: account("w-camp", "ACCOUNT_RESTRICTION", t0, restriction("RESTRICTED_ADD_PHONE_NUMBER_ACTION")),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusFlagged, Reason: "account_update ACCOUNT_RESTRICTION: RESTRICTED_ADD_PHONE_NUMBER_ACTION", Since: t0}},
		{name: "violation flags", ev: account("w-camp", "ACCOUNT_VIOLATION", t0, func(ev *AccountEvent) { ev.ViolationType = "SCAM" }),
			changed: []chat.NumberID{"2001", "2002"}, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusFlagged, Reason: "account_update ACCOUNT_VIOLATION (SCAM)", Since: t0}},
		{name: "offboarded names one number", ev: account("w-camp", "ACCOUNT_OFFBOARDED", t0, func(ev *AccountEvent) { ev.PhoneNumber = "966550000003" }),
			changed: []chat.NumberID{"2002"}, id: "2002",
			want: State{Quality: QualityUnknown, Status: StatusBanned, Reason: "account_update ACCOUNT_OFFBOARDED", Since: t0}},
		{name: "reconnected", before: map[chat.NumberID]State{"2002": banned}, ev: account("w-camp", "ACCOUNT_RECONNECTED", t0.Add(time.Hour), nil),
			changed: []chat.NumberID{"2001", "2002"}, id: "2002",
			want: State{Quality: QualityUnknown, Status: StatusActive, Reason: "account_update ACCOUNT_RECONNECTED", Since: t0.Add(time.Hour)}},
		{name: "legacy BANNED", ev: account("w-inbox", "BANNED", t0, nil), changed: []chat.NumberID{"1001"}, id: "1001",
			want: State{Quality: QualityUnknown, Status: StatusBanned, Reason: "account_update BANNED", Since: t0}},
		{name: "unrelated event", ev: account("w-camp", "PARTNER_ADDED", t0, nil), id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive}},
		{name: "unknown account", ev: account("w-other", "BANNED", t0, nil), id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive}},
		{name: "no event", ev: nil, id: "2001",
			want: State{Quality: QualityUnknown, Status: StatusActive}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, store, _ := newTestRegistry(t, testList())
			for id, st := range tt.before {
				mustSet(t, store, id, st)
			}
			changed, err := r.Apply(context.Background(), tt.ev)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !slices.Equal(changed, tt.changed) {
				t.Errorf("changed = %v, want %v", changed, tt.changed)
			}
			got := r.State(tt.id)
			if !sameState(got, tt.want) {
				t.Errorf("state of %s:\n got %+v\nwant %+v", tt.id, got, tt.want)
			}
			// What the snapshot shows is what the store holds.
			if data, _ := store.Get(context.Background(), tt.id); data != nil {
				var stored State
				if err := json.Unmarshal(data, &stored); err != nil {
					t.Fatal(err)
				}
				if !sameState(stored, got) {
					t.Errorf("stored %+v, snapshot %+v", stored, got)
				}
			}
		})
	}
}

func sameState(a, b State) bool {
	return a.Quality == b.Quality && a.QualityAt.Equal(b.QualityAt) && a.Status == b.Status && a.Reason == b.Reason &&
		a.Since.Equal(b.Since) && a.Until.Equal(b.Until) && a.Throughput == b.Throughput && a.Limit == b.Limit &&
		a.Next == b.Next && a.NextUntil.Equal(b.NextUntil)
}

// A restriction lifts by the clock alone: nothing writes the lift, every replica sees it
// at the same moment, and a full restriction gives way to the replies-only one that
// outlasts it.
func TestRestrictionLiftsByClock(t *testing.T) {
	ctx := context.Background()
	r, _, clk := newTestRegistry(t, testList())
	day, week := t0.Add(24*time.Hour), t0.Add(7*24*time.Hour)
	ev := account("w-camp", "ACCOUNT_RESTRICTION", t0, func(ev *AccountEvent) {
		ev.Restrictions = []Restriction{
			{Type: "RESTRICTED_CUSTOMER_INITIATED_MESSAGING", Expiration: day},
			{Type: "RESTRICTED_BIZ_INITIATED_MESSAGING", Expiration: week},
		}
	})
	if _, err := r.Apply(ctx, ev); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at                  time.Time
		status              Status
		usable, canInitiate bool
		lifts               time.Time
	}{
		{t0, StatusRestricted, false, false, day},
		{day.Add(-time.Second), StatusRestricted, false, false, day},
		{day, StatusRepliesOnly, true, false, week},
		{week.Add(-time.Second), StatusRepliesOnly, true, false, week},
		{week, StatusActive, true, true, time.Time{}},
	}
	for _, s := range steps {
		clk.Set(s.at)
		st := r.State("2001")
		if got := st.Current(clk.Now()); got != s.status {
			t.Errorf("at %v: status %s, want %s", s.at, got, s.status)
		}
		if got := r.Usable("2001", clk.Now()); got != s.usable {
			t.Errorf("at %v: usable %v, want %v", s.at, got, s.usable)
		}
		if got := r.CanInitiate("2001", clk.Now()); got != s.canInitiate {
			t.Errorf("at %v: can initiate %v, want %v", s.at, got, s.canInitiate)
		}
		if got := st.LiftsAt(clk.Now()); !got.Equal(s.lifts) {
			t.Errorf("at %v: lifts at %v, want %v", s.at, got, s.lifts)
		}
	}
	if r.CanInitiate("9999", t0) {
		t.Error("an unknown number can initiate")
	}
}

// A send error's short full restriction on a replies-only number gives the replies-only
// restriction back when it ends, not an active number.
func TestMarkRestrictedKeepsRepliesOnly(t *testing.T) {
	ctx := context.Background()
	r, store, clk := newTestRegistry(t, testList())
	week := t0.Add(7 * 24 * time.Hour)
	mustSet(t, store, "2001", State{Quality: QualityUnknown, Status: StatusRepliesOnly, Since: t0, Until: week})
	if err := r.MarkRestricted(ctx, "2001", "send error 368"); err != nil {
		t.Fatal(err)
	}
	if got := r.State("2001").Current(clk.Now()); got != StatusRestricted {
		t.Fatalf("after the send error: %s", got)
	}
	clk.Advance(DefaultRestrictFor)
	if got := r.State("2001").Current(clk.Now()); got != StatusRepliesOnly {
		t.Errorf("after the send error's restriction: %s, want %s", got, StatusRepliesOnly)
	}
	clk.Set(week)
	if got := r.State("2001").Current(clk.Now()); got != StatusActive {
		t.Errorf("after the week: %s", got)
	}
}
