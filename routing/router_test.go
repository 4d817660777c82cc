package routing

import (
	"cmp"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/numbers"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

const (
	inboxID  chat.NumberID = "1001"
	linkNum  chat.NumberID = "2001" // campaign "spring": link
	bridgeN  chat.NumberID = "2002" // campaign "ramadan": bridge
	holdNum  chat.NumberID = "2003" // campaign "eid": hold
	plainNum chat.NumberID = "2004" // no campaign: the default (link), override below
	overNum  chat.NumberID = "2005" // campaign "spring" but its own policy: hold
)

var (
	bridgeTpl   = &chat.Template{Name: "inbox_hello", Language: "ar", Params: []string{"x"}}
	fallbackTpl = &chat.Template{Name: "follow_up", Language: "ar"}
	wantLink    = "Continue here: https://wa.me/966550000001?text=Hello%20%26%20welcome"
)

func testNumbers() []numbers.Number {
	return []numbers.Number{
		{ID: inboxID, Display: "+966 55 000 0001", Role: numbers.RoleInbox, WABA: "wi", Token: "t"},
		{ID: linkNum, Display: "+966 55 000 0002", Role: numbers.RoleCampaign, WABA: "wc", Token: "t", Campaign: "spring"},
		{ID: bridgeN, Display: "+966 55 000 0003", Role: numbers.RoleCampaign, WABA: "wc", Token: "t", Campaign: "ramadan"},
		{ID: holdNum, Display: "+966 55 000 0004", Role: numbers.RoleCampaign, WABA: "wc", Token: "t", Campaign: "eid"},
		{ID: plainNum, Display: "+966 55 000 0005", Role: numbers.RoleCampaign, WABA: "wc", Token: "t"},
		{ID: overNum, Display: "+966 55 000 0006", Role: numbers.RoleCampaign, WABA: "wc", Token: "t", Campaign: "spring", Policy: numbers.PolicyHold},
	}
}

func testOptions() Options {
	return Options{
		Default: Policy{Kind: numbers.PolicyLink, LinkText: "Continue here: {link}", Prefill: "Hello & welcome", Fallback: fallbackTpl},
		Campaigns: map[string]Policy{
			"spring":  {Kind: numbers.PolicyLink},
			"ramadan": {Kind: numbers.PolicyBridge, Bridge: bridgeTpl},
			"eid":     {Kind: numbers.PolicyHold},
		},
	}
}

type recObserver struct{ refused, invited []string }

func (o *recObserver) Refused(n chat.NumberID, reason string) {
	o.refused = append(o.refused, string(n)+": "+reason)
}
func (o *recObserver) Invited(n chat.NumberID, kind string) {
	o.invited = append(o.invited, string(n)+": "+kind)
}

func newRouter(t *testing.T, opts Options) (*Router, *numbers.Registry, *recObserver) {
	t.Helper()
	reg, err := numbers.New(testNumbers(), &numbers.MemStates{}, numbers.WithClock(clock.NewManual(now)))
	if err != nil {
		t.Fatal(err)
	}
	obs := &recObserver{}
	opts.Observer = obs
	r, err := New(reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, reg, obs
}

func ban(t *testing.T, reg *numbers.Registry, id chat.NumberID) {
	t.Helper()
	if err := reg.MarkRestricted(context.Background(), id, "test"); err != nil {
		t.Fatal(err)
	}
}

// repliesOnly restricts the number's account from starting conversations for a week.
func repliesOnly(t *testing.T, reg *numbers.Registry, id chat.NumberID) {
	t.Helper()
	_, err := reg.Apply(context.Background(), &numbers.AccountEvent{At: now.Add(-time.Minute), Event: "ACCOUNT_RESTRICTION", PhoneNumber: string(id),
		Restrictions: []numbers.Restriction{{Type: numbers.RestrictedInitiation, Expiration: now.Add(7 * 24 * time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	if !reg.Usable(id, now) || reg.CanInitiate(id, now) {
		t.Fatalf("number %s not replies-only: %+v", id, reg.State(id))
	}
}

// ago describes when the contact last wrote to a number; never means not in 30 days.
const never = time.Duration(-1)

func TestRoute(t *testing.T) {
	text := chat.Outbound{To: "c1", Kind: chat.KindText, Text: "Your order ships today", ReplyTo: "wamid.in"}
	tpl := chat.Outbound{To: "c1", Kind: chat.KindTemplate, Template: &chat.Template{Name: "promo", Language: "en"}}
	type want struct {
		ok       bool
		reason   string
		from     chat.NumberID
		kind     chat.Kind
		text     string // for text replies
		template string // for templates
		replyTo  string
		invite   string // invitation kind standing after the call, "" none
		// inviteFrom is the number the standing invitation left from, when not from.
		inviteFrom chat.NumberID
	}
	tests := []struct {
		name      string
		last      chat.NumberID                   // the number the contact last wrote to
		windows   map[chat.NumberID]time.Duration // how long ago the contact wrote to each
		down      []chat.NumberID                 // restricted numbers
		replies   []chat.NumberID                 // replies-only numbers (RESTRICTED_BIZ_INITIATED_MESSAGING)
		invite    *contact.Invite
		msg       chat.Outbound
		opts      func(*Options)
		want      want
		refusedBy chat.NumberID // the number reported to the observer on refusal
	}{
		// Rule 1: the inbox answers whenever its window is open.
		{name: "inbox open, wrote to inbox", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: time.Hour},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "link: inbox open beats the campaign number", last: linkNum, windows: map[chat.NumberID]time.Duration{inboxID: 20 * time.Hour, linkNum: time.Minute},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text}},
		{name: "bridge: inbox open", last: bridgeN, windows: map[chat.NumberID]time.Duration{inboxID: 2 * time.Hour, bridgeN: time.Minute},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text}},
		{name: "hold: inbox open moves the conversation to the inbox", last: holdNum, windows: map[chat.NumberID]time.Duration{inboxID: 23 * time.Hour, holdNum: time.Minute},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text}},

		// A started campaign file's policy (Options.PolicyOf) over the configured one.
		{name: "campaign file: hold over the configured link", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Minute},
			opts: func(o *Options) {
				o.PolicyOf = func(n chat.NumberID) (numbers.Policy, bool) { return numbers.PolicyHold, n == linkNum }
			},
			msg: text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "campaign file: bridge without a bridge template keeps the configured link", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Minute},
			opts: func(o *Options) {
				o.PolicyOf = func(chat.NumberID) (numbers.Policy, bool) { return numbers.PolicyBridge, true }
			},
			msg: text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},

		// link
		{name: "link: first reply becomes the link", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Minute},
			msg: text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},
		{name: "link: later replies wait for the inbox", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Minute},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-2 * time.Minute)},
			msg:    text, want: want{reason: ReasonWaitingInbox, invite: InviteLink}, refusedBy: linkNum},
		{name: "link: the contact writes again on the campaign number, still waiting", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: 0},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-time.Hour)},
			msg:    text, want: want{reason: ReasonWaitingInbox, invite: InviteLink}, refusedBy: linkNum},
		{name: "link: a new conversation after a day gets a new link", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: 0},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-25 * time.Hour)},
			msg:    text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},
		{name: "link: another campaign number gets its own link", last: plainNum, windows: map[chat.NumberID]time.Duration{plainNum: 0, linkNum: time.Hour},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-time.Hour)},
			msg:    text, want: want{ok: true, from: plainNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},
		{name: "link: campaign window closed too, fallback template from the inbox", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: 30 * time.Hour},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "follow_up", invite: InviteFallback}},
		{name: "link: answered on the inbox, the invitation is gone", last: inboxID, windows: map[chat.NumberID]time.Duration{linkNum: time.Hour, inboxID: time.Minute},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-time.Hour)},
			msg:    text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},

		// bridge
		{name: "bridge: first reply becomes the inbox template", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "inbox_hello", invite: InviteBridge}},
		{name: "bridge: later replies wait", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute},
			invite: &contact.Invite{Kind: InviteBridge, From: inboxID, Via: bridgeN, At: now.Add(-time.Minute)},
			msg:    text, want: want{reason: ReasonWaitingBridge, invite: InviteBridge}, refusedBy: inboxID},
		{name: "bridge: campaign window closed, still the bridge", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: 40 * time.Hour},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "inbox_hello", invite: InviteBridge}},
		{name: "bridge: inbox down, the campaign number holds", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute}, down: []chat.NumberID{inboxID},
			msg: text, want: want{ok: true, from: bridgeN, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},

		// hold
		{name: "hold: campaign window open", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 23 * time.Hour},
			msg: text, want: want{ok: true, from: holdNum, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "hold: number override of a link campaign", last: overNum, windows: map[chat.NumberID]time.Duration{overNum: time.Hour},
			msg: text, want: want{ok: true, from: overNum, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "hold: campaign window closed, fallback template", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 24 * time.Hour},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "follow_up", invite: InviteFallback}},
		{name: "hold: fallback already sent", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 25 * time.Hour},
			invite: &contact.Invite{Kind: InviteFallback, From: inboxID, Via: holdNum, At: now.Add(-time.Hour)},
			msg:    text, want: want{reason: ReasonWindowWaiting, invite: InviteFallback}, refusedBy: inboxID},
		{name: "hold: the contact wrote again after the fallback", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: time.Minute},
			invite: &contact.Invite{Kind: InviteFallback, From: inboxID, Via: holdNum, At: now.Add(-time.Hour)},
			msg:    text, want: want{ok: true, from: holdNum, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "hold: no fallback configured, refused", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 30 * time.Hour},
			opts: func(o *Options) { o.Default.Fallback = nil },
			msg:  text, want: want{reason: ReasonWindowClosed}, refusedBy: inboxID},

		// Rule 5 without a campaign: the inbox's own window.
		{name: "inbox window closed, fallback", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: 24*time.Hour + time.Second},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "follow_up", replyTo: "wamid.in", invite: InviteFallback}},
		{name: "never wrote, no fallback", last: "", windows: nil, opts: func(o *Options) { o.Default.Fallback = nil },
			msg: text, want: want{reason: ReasonWindowClosed}, refusedBy: inboxID},
		{name: "inbox down and closed, no campaign", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: 30 * time.Hour}, down: []chat.NumberID{inboxID},
			msg: text, want: want{reason: ReasonNoNumber}, refusedBy: inboxID},
		{name: "inbox down but open", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: time.Hour}, down: []chat.NumberID{inboxID},
			msg: text, want: want{reason: ReasonNoNumber}, refusedBy: inboxID},

		// Rule 2: templates.
		{name: "template from the inbox with every window closed", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 50 * time.Hour},
			msg: tpl, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "promo"}},
		{name: "template from the inbox although the campaign window is open", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Hour},
			msg: tpl, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "promo"}},
		{name: "template, inbox down: the campaign number", last: holdNum, windows: nil, down: []chat.NumberID{inboxID},
			msg: tpl, want: want{ok: true, from: holdNum, kind: chat.KindTemplate, template: "promo"}},
		{name: "template, everything down", last: holdNum, down: []chat.NumberID{inboxID, holdNum},
			msg: tpl, want: want{reason: ReasonNoNumber}, refusedBy: holdNum},

		// Rule 4: a restricted or banned campaign number.
		{name: "link number banned: bridge template from the inbox", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Minute}, down: []chat.NumberID{linkNum},
			opts: func(o *Options) { o.Default.Bridge = bridgeTpl },
			msg:  text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "inbox_hello", invite: InviteBridge}},
		{name: "hold number banned without a bridge template: the fallback", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: time.Minute}, down: []chat.NumberID{holdNum},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "follow_up", invite: InviteBridge}},
		{name: "banned, no template at all", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: time.Minute}, down: []chat.NumberID{holdNum},
			opts: func(o *Options) { o.Default.Fallback = nil },
			msg:  text, want: want{reason: ReasonNoBridge}, refusedBy: inboxID},
		{name: "banned, bridge already sent", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: time.Minute}, down: []chat.NumberID{holdNum},
			invite: &contact.Invite{Kind: InviteBridge, From: inboxID, Via: holdNum, At: now.Add(-time.Minute)},
			msg:    text, want: want{reason: ReasonWaitingBridge, invite: InviteBridge}, refusedBy: inboxID},
		{name: "banned campaign and inbox", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute}, down: []chat.NumberID{bridgeN, inboxID},
			msg: text, want: want{reason: ReasonNoNumber}, refusedBy: bridgeN},
		{name: "banned campaign, inbox open", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute, inboxID: time.Hour}, down: []chat.NumberID{bridgeN},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text}},

		// Replies-only numbers (RESTRICTED_BIZ_INITIATED_MESSAGING): answers inside the
		// window leave from them, templates that would start a conversation do not.
		{name: "replies-only link number still sends the link", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: time.Minute}, replies: []chat.NumberID{linkNum},
			msg: text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},
		{name: "replies-only hold number answers in its window", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 23 * time.Hour}, replies: []chat.NumberID{holdNum},
			msg: text, want: want{ok: true, from: holdNum, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "replies-only hold number, window closed: the fallback from the inbox", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 25 * time.Hour}, replies: []chat.NumberID{holdNum},
			down: []chat.NumberID{}, msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "follow_up", invite: InviteFallback}},
		{name: "replies-only inbox answers in its window", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: time.Hour}, replies: []chat.NumberID{inboxID},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "replies-only inbox, window closed: no fallback template", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: 25 * time.Hour}, replies: []chat.NumberID{inboxID},
			msg: text, want: want{reason: ReasonNoInitiation}, refusedBy: inboxID},
		{name: "replies-only inbox and hold number, windows closed: refused", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 30 * time.Hour}, replies: []chat.NumberID{inboxID, holdNum},
			msg: text, want: want{reason: ReasonNoInitiation}, refusedBy: inboxID},
		{name: "template, replies-only inbox: the campaign number whose window is open", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: time.Hour}, replies: []chat.NumberID{inboxID},
			msg: tpl, want: want{ok: true, from: holdNum, kind: chat.KindTemplate, template: "promo"}},
		{name: "template, replies-only inbox and campaign number, windows closed: refused", last: holdNum, windows: map[chat.NumberID]time.Duration{holdNum: 30 * time.Hour}, replies: []chat.NumberID{inboxID, holdNum},
			msg: tpl, want: want{reason: ReasonNoInitiation}, refusedBy: holdNum},
		{name: "template, replies-only inbox, window open: the inbox", last: inboxID, windows: map[chat.NumberID]time.Duration{inboxID: time.Hour}, replies: []chat.NumberID{inboxID},
			msg: tpl, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "promo"}},
		{name: "bridge with a replies-only inbox: the campaign number holds", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute}, replies: []chat.NumberID{inboxID},
			msg: text, want: want{ok: true, from: bridgeN, kind: chat.KindText, text: text.Text, replyTo: "wamid.in"}},
		{name: "banned campaign number, replies-only inbox closed: no bridge", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: time.Minute}, down: []chat.NumberID{bridgeN}, replies: []chat.NumberID{inboxID},
			msg: text, want: want{reason: ReasonNoInitiation}, refusedBy: inboxID},

		// No silent campaign numbers: the redirect again, at most once per RedirectEvery.
		{name: "link: six hours on, the link again", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: 0},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-DefaultRedirectEvery)},
			msg:    text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},
		{name: "link: just under six hours, still waiting", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: 0},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-DefaultRedirectEvery + time.Second)},
			msg:    text, want: want{reason: ReasonWaitingInbox, invite: InviteLink}, refusedBy: linkNum},
		{name: "link: a shorter configured period", last: linkNum, windows: map[chat.NumberID]time.Duration{linkNum: 0},
			invite: &contact.Invite{Kind: InviteLink, From: linkNum, Via: linkNum, At: now.Add(-time.Hour)},
			opts:   func(o *Options) { o.RedirectEvery = time.Hour },
			msg:    text, want: want{ok: true, from: linkNum, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteLink}},
		{name: "bridge: seven hours on, the link from the campaign number", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: 0},
			invite: &contact.Invite{Kind: InviteBridge, From: inboxID, Via: bridgeN, At: now.Add(-7 * time.Hour)},
			msg:    text, want: want{ok: true, from: bridgeN, kind: chat.KindText, text: wantLink, replyTo: "wamid.in", invite: InviteBridge, inviteFrom: inboxID}},
		{name: "bridge: the redirect waits for the campaign number's window", last: bridgeN, windows: map[chat.NumberID]time.Duration{bridgeN: 25 * time.Hour},
			invite: &contact.Invite{Kind: InviteBridge, From: inboxID, Via: bridgeN, At: now.Add(-7 * time.Hour)},
			msg:    text, want: want{reason: ReasonWaitingBridge, invite: InviteBridge}, refusedBy: inboxID},

		// A number not in the registry counts as no campaign.
		{name: "unknown number", last: "9999", windows: map[chat.NumberID]time.Duration{"9999": time.Minute},
			msg: text, want: want{ok: true, from: inboxID, kind: chat.KindTemplate, template: "follow_up", invite: InviteFallback}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			r, reg, obs := newRouter(t, opts)
			for _, id := range tt.down {
				ban(t, reg, id)
			}
			for _, id := range tt.replies {
				repliesOnly(t, reg, id)
			}
			st := &contact.State{Contact: contact.Contact{ID: "c1", LastNumber: tt.last}}
			if tt.windows != nil {
				st.Contact.Windows = map[chat.NumberID]time.Time{}
				for id, ago := range tt.windows {
					st.Contact.Windows[id] = now.Add(-ago)
				}
			}
			if tt.invite != nil {
				inv := *tt.invite
				st.Contact.Routing = &contact.Routing{Invite: &inv}
			}
			msg := tt.msg
			msg.From = tt.last // what the engine sets before routing
			if tt.msg.Template != nil {
				tp := *tt.msg.Template
				msg.Template = &tp
			}
			ok, reason := r.Route(now, st, &msg)
			w := tt.want
			if ok != w.ok || reason != w.reason {
				t.Fatalf("Route = %v, %q; want %v, %q", ok, reason, w.ok, w.reason)
			}
			if got := invite(&st.Contact); (got == nil) != (w.invite == "") || (got != nil && got.Kind != w.invite) {
				t.Errorf("invite after = %+v, want kind %q", got, w.invite)
			}
			if !ok {
				if want := []string{string(tt.refusedBy) + ": " + w.reason}; strings.Join(obs.refused, "|") != want[0] {
					t.Errorf("observer refused = %q, want %q", obs.refused, want)
				}
				return
			}
			if len(obs.refused) > 0 {
				t.Errorf("observer heard a refusal: %q", obs.refused)
			}
			if msg.From != w.from || msg.Kind != w.kind || msg.To != "c1" || msg.ReplyTo != w.replyTo {
				t.Errorf("msg = from %s kind %s to %s reply_to %q; want from %s kind %s reply_to %q", msg.From, msg.Kind, msg.To, msg.ReplyTo, w.from, w.kind, w.replyTo)
			}
			switch w.kind {
			case chat.KindText:
				if msg.Text != w.text {
					t.Errorf("text = %q, want %q", msg.Text, w.text)
				}
			case chat.KindTemplate:
				if msg.Template == nil || msg.Template.Name != w.template {
					t.Errorf("template = %+v, want %s", msg.Template, w.template)
				}
			}
			if st.Contact.Routing == nil || st.Contact.Routing.Number != w.from {
				t.Errorf("routing number = %+v, want %s", st.Contact.Routing, w.from)
			}
			if w.invite != "" {
				inv := invite(&st.Contact)
				if inv.From != cmp.Or(w.inviteFrom, w.from) || !inv.At.Equal(now) {
					t.Errorf("invite = %+v", inv)
				}
				heard := string(w.from) + ": " + w.invite
				if w.inviteFrom != "" { // a reminder of another number's invitation is a link
					heard = string(w.from) + ": " + InviteLink
				}
				if len(obs.invited) != 1 || obs.invited[0] != heard {
					t.Errorf("observer invited = %q", obs.invited)
				}
			}
		})
	}
}

// The router hands out copies: rewriting one contact's template never touches the
// configured template or another contact's message.
func TestRouteCopiesTemplates(t *testing.T) {
	r, _, _ := newRouter(t, testOptions())
	st := &contact.State{Contact: contact.Contact{ID: "c1", LastNumber: bridgeN, Windows: map[chat.NumberID]time.Time{bridgeN: now}}}
	msg := chat.Outbound{To: "c1", Kind: chat.KindText, Text: "hi"}
	if ok, _ := r.Route(now, st, &msg); !ok {
		t.Fatal("refused")
	}
	msg.Template.Params[0] = "changed"
	if bridgeTpl.Params[0] != "x" {
		t.Error("the configured template changed")
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"unknown default kind", func(o *Options) { o.Default.Kind = "forward" },
			`routing default: unknown policy "forward": want link, bridge or hold`},
		{"unknown campaign kind", func(o *Options) { o.Campaigns["eid"] = Policy{Kind: "x"} },
			`routing campaign "eid": unknown policy "x": want link, bridge or hold`},
		{"link text without placeholder", func(o *Options) { o.Default.LinkText = "write to us on the main number" },
			"routing default: link text has no {link} placeholder for the link to the inbox"},
		{"template without name", func(o *Options) {
			o.Campaigns["ramadan"] = Policy{Kind: numbers.PolicyBridge, Bridge: &chat.Template{Language: "ar"}}
		},
			`routing campaign "ramadan": bridge template has no name`},
		{"fallback without language", func(o *Options) { o.Default.Fallback = &chat.Template{Name: "f"} },
			"routing default: fallback template has no language"},
		{"bridge without template", func(o *Options) { o.Campaigns["ramadan"] = Policy{Kind: numbers.PolicyBridge} },
			`routing: campaign number 2002 (campaign "ramadan") uses the bridge policy but no bridge template is configured`},
	}
	reg, err := numbers.New(testNumbers(), &numbers.MemStates{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg, testOptions()); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions()
			tt.edit(&opts)
			_, err := New(reg, opts)
			if err == nil || err.Error() != tt.want {
				t.Errorf("New = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	reg, err := numbers.New(testNumbers(), &numbers.MemStates{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.def.kind != numbers.PolicyHold || r.perNumber[plainNum].kind != numbers.PolicyHold || r.conversation != DefaultConversation {
		t.Errorf("defaults: %+v %+v %v", r.def, r.perNumber[plainNum], r.conversation)
	}
	r, err = New(reg, Options{Default: Policy{Kind: numbers.PolicyLink}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.perNumber[plainNum].linkText, "To continue, please message us on our main number: https://wa.me/966550000001"; got != want {
		t.Errorf("default link text = %q, want %q", got, want)
	}
}

func TestInboxLink(t *testing.T) {
	in := numbers.Number{Display: "+966 (55) 000-0001"}
	tests := map[string]string{
		"":                "https://wa.me/966550000001",
		"مرحبا":           "https://wa.me/966550000001?text=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7",
		"a b&c=d?e#f+g/h": "https://wa.me/966550000001?text=a%20b%26c%3Dd%3Fe%23f%2Bg%2Fh",
	}
	for prefill, want := range tests {
		if got := InboxLink(in, prefill); got != want {
			t.Errorf("InboxLink(%q) = %s, want %s", prefill, got, want)
		}
	}
}

// A campaign number banned in the middle of a conversation: the conversation goes on
// through the inbox number, and what the router keeps stays consistent.
func TestBannedMidConversation(t *testing.T) {
	r, reg, _ := newRouter(t, testOptions())
	ctx := context.Background()
	st := &contact.State{Contact: contact.Contact{ID: "c1"}}
	write := func(number chat.NumberID, at time.Time) {
		st.Contact.LastNumber = number
		if st.Contact.Windows == nil {
			st.Contact.Windows = map[chat.NumberID]time.Time{}
		}
		st.Contact.Windows[number] = at
	}
	route := func(at time.Time) (chat.Outbound, bool, string) {
		msg := chat.Outbound{To: "c1", From: st.Contact.LastNumber, Kind: chat.KindText, Text: "reply"}
		ok, why := r.Route(at, st, &msg)
		return msg, ok, why
	}
	t1 := now
	write(holdNum, t1)
	if msg, ok, _ := route(t1); !ok || msg.From != holdNum || msg.Kind != chat.KindText {
		t.Fatalf("before the ban: %+v %v", msg, ok)
	}
	// account_update DISABLED_UPDATE for the campaign account.
	changed, err := reg.Apply(ctx, &numbers.AccountEvent{WABA: "wc", At: t1.Add(time.Minute), Event: "DISABLED_UPDATE", BanState: "DISABLE"})
	if err != nil || len(changed) != 5 {
		t.Fatalf("Apply = %v, %v", changed, err)
	}
	t2 := t1.Add(2 * time.Minute)
	write(holdNum, t2)
	msg, ok, _ := route(t2)
	if !ok || msg.From != inboxID || msg.Kind != chat.KindTemplate || msg.Template.Name != "follow_up" {
		t.Fatalf("after the ban: %+v %v", msg, ok)
	}
	if _, ok, why := route(t2); ok || why != ReasonWaitingBridge {
		t.Fatalf("second reply after the ban: %v %q", ok, why)
	}
	t3 := t2.Add(10 * time.Minute)
	write(inboxID, t3)
	msg, ok, _ = route(t3)
	if !ok || msg.From != inboxID || msg.Kind != chat.KindText || msg.Text != "reply" {
		t.Fatalf("after the contact answered the inbox: %+v %v", msg, ok)
	}
	if invite(&st.Contact) != nil {
		t.Errorf("invitation still stands: %+v", invite(&st.Contact))
	}
	// 30 hours later the inbox window is closed and the campaign number is still banned:
	// a fresh fallback template from the inbox, never the banned number.
	t4 := t3.Add(30 * time.Hour)
	msg, ok, _ = route(t4)
	if !ok || msg.From != inboxID || msg.Kind != chat.KindTemplate {
		t.Fatalf("a day later: %+v %v", msg, ok)
	}
}
