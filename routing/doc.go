// Package routing routes every conversation into the central inbox number: it is the
// engine.Router that chooses the number each bot reply leaves from, following the
// policies of PRODUCT.md ("Routing into the central inbox") and WhatsApp's 24-hour rule.
//
// The rules, in order, for one reply to a contact at time now:
//
//  1. The inbox number answers whenever it is usable and its window with the contact is
//     open (the contact wrote to it, or called it, within 24 hours).
//  2. A template needs no window but starts a conversation: it leaves from the inbox if
//     the inbox may initiate, else from the campaign number the contact wrote to if its
//     window is open or it may initiate, else it is refused. A replies-only number
//     (numbers.StatusRepliesOnly) is usable but may not initiate.
//  3. Otherwise the policy of the campaign number the contact last wrote to decides (the
//     number's own policy, else its campaign's, else Options.Default; hold when none):
//     - link: the reply becomes one short message from the campaign number with a
//     click-to-chat link to the inbox (https://wa.me/<digits>?text=<prefill>); later
//     replies are refused with ReasonWaitingInbox until the contact writes to the inbox,
//     except that once the invitation is Options.RedirectEvery old the link goes out
//     again, so a contact who keeps writing there is never left in silence;
//     - bridge: the reply becomes the bridge template from the inbox number; later replies
//     are refused with ReasonWaitingBridge until the contact answers there, with the same
//     reminder (the link message, from the campaign number) every RedirectEvery; Remind
//     (engine.Reminder) sends that reminder too after a message the flows left
//     unanswered;
//     - hold: the reply leaves from the campaign number while its window is open.
//  4. A campaign number that is restricted or banned is never used: the reply becomes the
//     bridge template (or the fallback template) from the inbox, once, or is refused.
//  5. A free-form reply that no usable number's window allows becomes the fallback
//     template from a number that may initiate, once until the contact writes again, or
//     is refused with a reason. Nothing is dropped silently: the engine records each
//     refusal in the contact's history.
//
// docs/routing.md has the rules for users.
//
// An invitation (link, bridge or fallback) is remembered in contact.Contact.Routing so it is
// sent once; it stands until the contact answers or Options.Conversation passes. When the
// inbox itself is out of service, campaign numbers answer as with hold.
//
// The router does no I/O: it reads the contact's state and the registry's in-memory
// snapshot, so it runs inside the contact's update and its decision commits atomically
// with the rest of the state.
//
//	rt, err := routing.New(reg, routing.Options{ // reg is a *numbers.Registry
//		Default: routing.Policy{
//			Kind:     numbers.PolicyLink,
//			LinkText: "Please continue with us here: {link}",
//			Prefill:  "Hello",
//			Fallback: &chat.Template{Name: "follow_up", Language: "ar"},
//		},
//		Campaigns: map[string]routing.Policy{
//			"ramadan": {Kind: numbers.PolicyBridge, Bridge: &chat.Template{Name: "inbox_hello", Language: "ar"}},
//		},
//	})
//	eng := engine.New(set, store, sender, engine.Options{Router: rt})
package routing
