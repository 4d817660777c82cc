package routing

import (
	"cmp"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/numbers"
)

// Invitation kinds, kept in contact.Invite.Kind.
const (
	InviteLink     = "link"     // a click-to-chat link to the inbox, from the campaign number
	InviteBridge   = "bridge"   // a template from the inbox number
	InviteFallback = "fallback" // a template sent because the windows were closed
)

// Reasons a reply is refused; the engine records them in the refused event's Detail.
const (
	ReasonWaitingInbox  = "waiting for the contact on the inbox number"
	ReasonWaitingBridge = "waiting for the contact to answer the inbox number's template"
	ReasonWindowWaiting = "24-hour window closed; a template was sent, waiting for the contact to write"
	ReasonWindowClosed  = "24-hour window closed and no fallback template configured"
	ReasonNoBridge      = "campaign number restricted or banned, inbox window closed, and no bridge or fallback template configured"
	ReasonNoNumber      = "no usable number: the inbox and the contact's campaign number are restricted or banned"
	// ReasonNoInitiation: a template would have to start a conversation, and every number
	// that could send it is replies-only (Meta's RESTRICTED_BIZ_INITIATED_MESSAGING).
	ReasonNoInitiation = "24-hour window closed and the numbers that could send a template may only reply (Meta restricts them from starting conversations)"
)

// Numbers is what the router needs of the number registry; *numbers.Registry has it.
// Every method must answer from memory: the router runs inside a contact's update.
type Numbers interface {
	Inbox() numbers.Number
	Numbers() []numbers.Number
	Lookup(id chat.NumberID) (numbers.Number, bool)
	Usable(id chat.NumberID, now time.Time) bool
	// CanInitiate reports whether the number may start conversations: send a template
	// outside the contact's window. A replies-only number is Usable but may not.
	CanInitiate(id chat.NumberID, now time.Time) bool
}

// Router is the engine.Router that routes conversations into the central inbox. It is
// safe for concurrent use; its configuration never changes after New.
type Router struct {
	nums         Numbers
	inbox        chat.NumberID
	def          resolved
	perNumber    map[chat.NumberID]resolved
	conversation time.Duration
	redirect     time.Duration
	obs          Observer
	policyOf     func(chat.NumberID) (numbers.Policy, bool)
}

// New returns a router over the registry nums. It reports every configuration problem at
// once: unknown policy kinds, a link text without {link}, templates without a name or
// language, and a campaign number whose policy is bridge without a bridge template.
func New(nums Numbers, opts Options) (*Router, error) {
	def, per, err := resolve(nums, opts)
	if err != nil {
		return nil, err
	}
	conv := opts.Conversation
	if conv <= 0 {
		conv = DefaultConversation
	}
	redirect := opts.RedirectEvery
	if redirect <= 0 {
		redirect = DefaultRedirectEvery
	}
	return &Router{nums: nums, inbox: nums.Inbox().ID, def: def, perNumber: per, conversation: conv, redirect: redirect, obs: opts.Observer, policyOf: opts.PolicyOf}, nil
}

// Route chooses the number msg leaves from, rewrites it into an invitation when the
// policy says so, or refuses it (see the package documentation for the rules). It reads
// only st and the registry's in-memory snapshot.
func (r *Router) Route(now time.Time, st *contact.State, msg *chat.Outbound) (bool, string) {
	c := &st.Contact
	r.dropStaleInvite(now, c)

	inboxUsable := r.nums.Usable(r.inbox, now)
	if inboxUsable && windowOpen(c, r.inbox, now) {
		return r.send(c, msg, r.inbox)
	}
	via := r.campaignNumber(c)
	viaUsable := via != "" && r.nums.Usable(via, now)
	pol := r.def
	if via != "" {
		pol = r.perNumber[via]
		if r.policyOf != nil {
			if k, ok := r.policyOf(via); ok && k.Valid() && (k != numbers.PolicyBridge || pol.bridge != nil) {
				pol.kind = k
			}
		}
	}

	if msg.Kind == chat.KindTemplate { // templates need no window, but start a conversation
		switch {
		case r.nums.CanInitiate(r.inbox, now):
			return r.send(c, msg, r.inbox)
		case viaUsable && (windowOpen(c, via, now) || r.nums.CanInitiate(via, now)):
			return r.send(c, msg, via)
		case inboxUsable || viaUsable:
			return r.refuse(cmp.Or(via, r.inbox), ReasonNoInitiation)
		}
		return r.refuse(msg.From, ReasonNoNumber)
	}

	// A free-form reply, and the inbox cannot send it.
	if via == "" {
		if !inboxUsable {
			return r.refuse(r.inbox, ReasonNoNumber)
		}
		return r.windowClosed(now, c, msg, pol, "")
	}
	if !viaUsable {
		return r.bridge(now, c, msg, pol, via, inboxUsable, true)
	}
	kind := pol.kind
	if !inboxUsable || (kind == numbers.PolicyBridge && !r.nums.CanInitiate(r.inbox, now)) {
		kind = numbers.PolicyHold // nothing to invite the contact to, or no way to open it
	}
	switch kind {
	case numbers.PolicyLink:
		if inv := invite(c); inv != nil && inv.Kind == InviteLink && inv.Via == via {
			return r.redirectAgain(now, c, msg, pol, via, inv, ReasonWaitingInbox)
		}
		if !windowOpen(c, via, now) {
			return r.windowClosed(now, c, msg, pol, via)
		}
		*msg = chat.Outbound{To: msg.To, Kind: chat.KindText, Text: pol.linkText, ReplyTo: msg.ReplyTo}
		return r.invite(now, c, msg, InviteLink, via, via)
	case numbers.PolicyBridge:
		return r.bridge(now, c, msg, pol, via, inboxUsable, false)
	}
	// hold
	if windowOpen(c, via, now) {
		return r.send(c, msg, via)
	}
	return r.windowClosed(now, c, msg, pol, via)
}

// redirectAgain answers a contact who keeps writing to the campaign number while an
// invitation to the inbox stands: with the short link message from the campaign number
// again once the invitation is Options.RedirectEvery old, so that the contact is never
// left in silence; sooner, the reply is refused with reason and recorded. The link
// message is free-form inside the campaign number's open window, so it costs nothing and
// a replies-only campaign number may send it.
func (r *Router) redirectAgain(now time.Time, c *contact.Contact, msg *chat.Outbound, pol resolved, via chat.NumberID, inv *contact.Invite, reason string) (bool, string) {
	if !r.reminderDue(now, c, via, inv) {
		return r.refuse(cmp.Or(inv.From, via), reason)
	}
	r.remind(now, c, msg, pol, via, inv)
	return true, ""
}

// Remind is engine.Reminder: after a message the flows did not answer at all, it sends
// the same reminder a refused reply would have become (see redirectAgain), when one is
// due; otherwise nothing.
func (r *Router) Remind(now time.Time, st *contact.State) (chat.Outbound, bool) {
	c := &st.Contact
	r.dropStaleInvite(now, c)
	via := r.campaignNumber(c)
	inv := invite(c)
	if via == "" || inv == nil || !r.nums.Usable(r.inbox, now) {
		return chat.Outbound{}, false
	}
	pol := r.perNumber[via]
	switch {
	case inv.Kind == InviteLink && inv.Via == via && pol.kind == numbers.PolicyLink:
	case inv.Kind == InviteBridge && pol.kind == numbers.PolicyBridge && r.nums.CanInitiate(r.inbox, now):
	default:
		return chat.Outbound{}, false
	}
	if !r.reminderDue(now, c, via, inv) {
		return chat.Outbound{}, false
	}
	msg := chat.Outbound{To: c.ID}
	r.remind(now, c, &msg, pol, via, inv)
	return msg, true
}

// reminderDue reports whether the standing invitation inv may be repeated from the
// campaign number via: it is RedirectEvery old and via may answer the contact now.
func (r *Router) reminderDue(now time.Time, c *contact.Contact, via chat.NumberID, inv *contact.Invite) bool {
	return !now.Before(inv.At.Add(r.redirect)) && r.nums.Usable(via, now) && windowOpen(c, via, now)
}

// remind makes msg the link message from via and counts the invitation again from now.
func (r *Router) remind(now time.Time, c *contact.Contact, msg *chat.Outbound, pol resolved, via chat.NumberID, inv *contact.Invite) {
	*msg = chat.Outbound{To: msg.To, Kind: chat.KindText, Text: pol.linkText, ReplyTo: msg.ReplyTo}
	r.send(c, msg, via)
	inv.At = now // the invitation stands, counted from its latest reminder
	if r.obs != nil {
		r.obs.Invited(via, InviteLink)
	}
}

// bridge replaces the reply with the inbox number's template, once per conversation.
// viaDown says the campaign number is out of service, where the fallback template may
// stand in for a missing bridge template.
func (r *Router) bridge(now time.Time, c *contact.Contact, msg *chat.Outbound, pol resolved, via chat.NumberID, inboxUsable, viaDown bool) (bool, string) {
	if !inboxUsable {
		return r.refuse(via, ReasonNoNumber)
	}
	if inv := invite(c); inv != nil && inv.Kind == InviteBridge {
		if viaDown {
			return r.refuse(r.inbox, ReasonWaitingBridge)
		}
		return r.redirectAgain(now, c, msg, pol, via, inv, ReasonWaitingBridge)
	}
	if !r.nums.CanInitiate(r.inbox, now) {
		return r.refuse(r.inbox, ReasonNoInitiation)
	}
	tpl := pol.bridge
	if tpl == nil && viaDown {
		tpl = pol.fallback
	}
	if tpl == nil {
		return r.refuse(r.inbox, ReasonNoBridge)
	}
	*msg = templateMessage(msg, tpl)
	return r.invite(now, c, msg, InviteBridge, r.inbox, via)
}

// windowClosed handles a free-form reply that no usable number may send: it becomes the
// fallback template, from the inbox when it can send, once until the contact writes
// again; otherwise it is refused.
func (r *Router) windowClosed(now time.Time, c *contact.Contact, msg *chat.Outbound, pol resolved, via chat.NumberID) (bool, string) {
	from := r.inbox
	if !r.nums.Usable(from, now) {
		from = via
	}
	if inv := invite(c); inv != nil && inv.Kind == InviteFallback {
		return r.refuse(from, ReasonWindowWaiting)
	}
	if pol.fallback == nil {
		return r.refuse(from, ReasonWindowClosed)
	}
	// The fallback template starts a conversation: a replies-only number may not send it.
	switch {
	case r.nums.CanInitiate(r.inbox, now):
		from = r.inbox
	case via != "" && r.nums.CanInitiate(via, now):
		from = via
	default:
		return r.refuse(from, ReasonNoInitiation)
	}
	*msg = templateMessage(msg, pol.fallback)
	return r.invite(now, c, msg, InviteFallback, from, via)
}

func templateMessage(msg *chat.Outbound, tpl *chat.Template) chat.Outbound {
	t := *tpl
	t.Params = append([]string(nil), tpl.Params...)
	return chat.Outbound{To: msg.To, Kind: chat.KindTemplate, Template: &t, ReplyTo: msg.ReplyTo}
}

// send lets msg leave from number. A quoted reply only makes sense in the thread the
// quoted message arrived in, the contact's last number, so it is dropped elsewhere.
func (r *Router) send(c *contact.Contact, msg *chat.Outbound, number chat.NumberID) (bool, string) {
	if number != c.LastNumber {
		msg.ReplyTo = ""
	}
	msg.From = number
	routing(c).Number = number
	return true, ""
}

func (r *Router) invite(now time.Time, c *contact.Contact, msg *chat.Outbound, kind string, from, via chat.NumberID) (bool, string) {
	r.send(c, msg, from)
	routing(c).Invite = &contact.Invite{Kind: kind, From: from, Via: via, At: now}
	if r.obs != nil {
		r.obs.Invited(from, kind)
	}
	return true, ""
}

func (r *Router) refuse(number chat.NumberID, reason string) (bool, string) {
	if r.obs != nil {
		r.obs.Refused(number, reason)
	}
	return false, reason
}

// campaignNumber returns the campaign number the contact last wrote to, or "" when the
// contact last wrote to the inbox or to a number not in the registry.
func (r *Router) campaignNumber(c *contact.Contact) chat.NumberID {
	n, ok := r.nums.Lookup(c.LastNumber)
	if !ok || n.Role != numbers.RoleCampaign {
		return ""
	}
	return n.ID
}

// dropStaleInvite forgets an invitation that was answered or that stood unanswered for a
// whole conversation. A link or bridge is answered when the contact writes to the inbox
// number; a fallback template when the contact writes to any number.
func (r *Router) dropStaleInvite(now time.Time, c *contact.Contact) {
	inv := invite(c)
	if inv == nil {
		return
	}
	answered := false
	switch inv.Kind {
	case InviteLink, InviteBridge:
		answered = c.Windows[r.inbox].After(inv.At)
	default:
		for _, at := range c.Windows {
			if at.After(inv.At) {
				answered = true
			}
		}
	}
	if answered || !now.Before(inv.At.Add(r.conversation)) {
		c.Routing.Invite = nil
	}
}

func windowOpen(c *contact.Contact, number chat.NumberID, now time.Time) bool {
	at, ok := c.Windows[number]
	return ok && now.Before(at.Add(chat.ServiceWindow))
}

func invite(c *contact.Contact) *contact.Invite {
	if c.Routing == nil {
		return nil
	}
	return c.Routing.Invite
}

func routing(c *contact.Contact) *contact.Routing {
	if c.Routing == nil {
		c.Routing = &contact.Routing{}
	}
	return c.Routing
}
