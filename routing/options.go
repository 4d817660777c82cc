package routing

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/numbers"
)

// LinkPlaceholder is replaced in Policy.LinkText by the click-to-chat link to the inbox.
const LinkPlaceholder = "{link}"

// DefaultLinkText is the link message when a policy sets none.
const DefaultLinkText = "To continue, please message us on our main number: {link}"

// DefaultConversation is how long an invitation stands when Options.Conversation is zero:
// a customer service window.
const DefaultConversation = 24 * time.Hour

// DefaultRedirectEvery is how often, at most, a contact who keeps writing to a campaign
// number is sent the link to the inbox again when Options.RedirectEvery is zero.
const DefaultRedirectEvery = 6 * time.Hour

// Policy says how replies to a campaign's numbers reach the inbox, and which templates
// stand in for replies that a closed window would block. Empty fields take the value of
// Options.Default.
type Policy struct {
	// Kind is link, bridge or hold. A campaign number's own numbers.Number.Policy wins over
	// it.
	Kind numbers.Policy
	// LinkText is the one message a link policy sends from the campaign number; it must
	// contain {link}, which becomes https://wa.me/<inbox digits>?text=<Prefill>.
	LinkText string
	// Prefill is the text the link puts in the contact's message box on the inbox number.
	Prefill string
	// Bridge is the approved template the inbox number opens the conversation with (bridge
	// policy, and any policy whose campaign number is restricted or banned).
	Bridge *chat.Template
	// Fallback is the approved template sent instead of a free-form reply when every
	// usable number's window with the contact is closed. Without it such a reply is
	// refused.
	Fallback *chat.Template
}

// Options configure a Router.
type Options struct {
	// Default applies to campaigns without an entry in Campaigns, fills the fields an entry
	// leaves empty, and governs contacts who did not write to a campaign number. Its Kind
	// defaults to hold.
	Default Policy
	// Campaigns holds each campaign's policy by campaign name (numbers.Number.Campaign).
	Campaigns map[string]Policy
	// Conversation is how long an invitation (a link, a bridge or a fallback template)
	// stands unanswered before a new reply may send another; default DefaultConversation.
	Conversation time.Duration
	// RedirectEvery is how often, at most, a contact who keeps writing to a campaign
	// number under the link or bridge policy gets the short link message again while the
	// invitation stands; replies in between are refused and recorded. Default
	// DefaultRedirectEvery.
	RedirectEvery time.Duration
	// Observer, when set, hears of refusals and invitations.
	Observer Observer
	// PolicyOf, when set, overrides the policy kind of a campaign number while it says so:
	// a started campaign file's replies.policy takes effect without a restart. It must
	// answer from memory (it runs inside a contact's update). A bridge it asks for without
	// a bridge template falls back to the configured kind.
	PolicyOf func(number chat.NumberID) (numbers.Policy, bool)
}

// Observer hears of the router's decisions, for metrics. The engine may run a contact's
// update again after a write conflict, so a decision can be reported twice. Calls happen
// inside the contact's update: implementations must be fast and do no I/O.
type Observer interface {
	// Refused is called when a reply is refused; number is the number it would have left
	// from, reason one of the Reason constants.
	Refused(number chat.NumberID, reason string)
	// Invited is called when a reply is replaced by an invitation of kind InviteLink,
	// InviteBridge or InviteFallback sent from number.
	Invited(number chat.NumberID, kind string)
}

// resolved is a policy with every field settled, for one campaign number or the default.
type resolved struct {
	kind     numbers.Policy
	linkText string // with the link substituted
	bridge   *chat.Template
	fallback *chat.Template
}

func (p Policy) over(def Policy) Policy {
	if p.Kind == "" {
		p.Kind = def.Kind
	}
	if p.LinkText == "" {
		p.LinkText = def.LinkText
	}
	if p.Prefill == "" {
		p.Prefill = def.Prefill
	}
	if p.Bridge == nil {
		p.Bridge = def.Bridge
	}
	if p.Fallback == nil {
		p.Fallback = def.Fallback
	}
	return p
}

// InboxLink returns the click-to-chat link to the inbox number: https://wa.me/<digits>,
// with ?text=<prefill> when prefill is set (spaces as %20, as wa.me expects).
func InboxLink(inbox numbers.Number, prefill string) string {
	link := "https://wa.me/" + inbox.Digits()
	if prefill != "" {
		link += "?text=" + strings.ReplaceAll(url.QueryEscape(prefill), "+", "%20")
	}
	return link
}

// check validates a policy as given (before defaults); where names it in errors.
func (p Policy) check(where string) []error {
	var errs []error
	if p.Kind != "" && !p.Kind.Valid() {
		errs = append(errs, fmt.Errorf("%s: unknown policy %q: want link, bridge or hold", where, p.Kind))
	}
	if p.LinkText != "" && !strings.Contains(p.LinkText, LinkPlaceholder) {
		errs = append(errs, fmt.Errorf("%s: link text has no %s placeholder for the link to the inbox", where, LinkPlaceholder))
	}
	for _, t := range []struct {
		name string
		tpl  *chat.Template
	}{{"bridge", p.Bridge}, {"fallback", p.Fallback}} {
		if t.tpl == nil {
			continue
		}
		if t.tpl.Name == "" {
			errs = append(errs, fmt.Errorf("%s: %s template has no name", where, t.name))
		}
		if t.tpl.Language == "" {
			errs = append(errs, fmt.Errorf("%s: %s template has no language", where, t.name))
		}
	}
	return errs
}

// resolve settles the policies of every campaign number and of the default, and reports
// every configuration problem at once.
func resolve(nums Numbers, opts Options) (def resolved, perNumber map[chat.NumberID]resolved, err error) {
	var errs []error
	errs = append(errs, opts.Default.check("routing default")...)
	names := make([]string, 0, len(opts.Campaigns))
	for name := range opts.Campaigns {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		errs = append(errs, opts.Campaigns[name].check(fmt.Sprintf("routing campaign %q", name))...)
	}
	base := opts.Default
	if base.Kind == "" {
		base.Kind = numbers.PolicyHold
	}
	if base.LinkText == "" {
		base.LinkText = DefaultLinkText
	}
	inbox := nums.Inbox()
	settle := func(p Policy) resolved {
		return resolved{
			kind:     p.Kind,
			linkText: strings.ReplaceAll(p.LinkText, LinkPlaceholder, InboxLink(inbox, p.Prefill)),
			bridge:   p.Bridge,
			fallback: p.Fallback,
		}
	}
	def = settle(base)
	perNumber = map[chat.NumberID]resolved{}
	for _, n := range nums.Numbers() {
		if n.Role != numbers.RoleCampaign {
			continue
		}
		p := opts.Campaigns[n.Campaign].over(base)
		if n.Policy != "" {
			p.Kind = n.Policy
		}
		if p.Kind == numbers.PolicyBridge && p.Bridge == nil {
			errs = append(errs, fmt.Errorf("routing: campaign number %s (campaign %q) uses the bridge policy but no bridge template is configured", n.ID, n.Campaign))
		}
		perNumber[n.ID] = settle(p)
	}
	if err := errors.Join(errs...); err != nil {
		return resolved{}, nil, err
	}
	return def, perNumber, nil
}
