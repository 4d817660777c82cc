package numbers

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/wasla/wasla/chat"
)

// Role says what a business number is for.
type Role string

// Roles. Exactly one number is the inbox.
const (
	// RoleInbox is the central inbox number: every conversation is meant to end up here,
	// and replies leave from it whenever its 24-hour window with the contact allows.
	RoleInbox Role = "inbox"
	// RoleCampaign is a number campaigns send from; replies to it are routed into the
	// inbox by a Policy.
	RoleCampaign Role = "campaign"
)

// Policy names how a reply to a campaign number reaches the inbox (PRODUCT.md, "Routing
// into the central inbox"). The routing package carries out the policies; here they are
// only names, so that a number can choose one.
type Policy string

// Policies.
const (
	// PolicyLink answers a reply on the campaign number once with a click-to-chat link to
	// the inbox number, then waits for the contact there.
	PolicyLink Policy = "link"
	// PolicyBridge opens the conversation on the inbox number with an approved template.
	PolicyBridge Policy = "bridge"
	// PolicyHold answers from the campaign number while its window is open and moves to
	// the inbox number at the next chance.
	PolicyHold Policy = "hold"
)

// Valid reports whether p is one of the three policies.
func (p Policy) Valid() bool { return p == PolicyLink || p == PolicyBridge || p == PolicyHold }

// DefaultThroughput is Meta's default per-number throughput, in messages per second.
const DefaultThroughput = 80

// Secret is a value that must never be printed: fmt, slog and JSON all show it redacted.
// Use string(s) where the value itself is needed (the Authorization header).
type Secret string

const redacted = "[redacted]"

// String returns a redacted form.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns a redacted form, for %#v.
func (s Secret) GoString() string { return `numbers.Secret("` + s.String() + `")` }

// LogValue returns a redacted form for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText returns a redacted form, so encoding a Secret never leaks it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Number is one business number as configured.
type Number struct {
	// ID is Meta's phone number id: messages are sent through /{ID}/messages and inbound
	// messages name it in metadata.phone_number_id.
	ID chat.NumberID
	// Display is the number as users see it ("+966 55 123 4567"); its digits build
	// wa.me links and map quality webhooks, which name numbers only this way.
	Display string
	Role    Role
	// WABA is the WhatsApp Business Account id; account_update webhooks name only it.
	WABA string
	// Portfolio is the business portfolio id; messaging limits are shared per portfolio.
	Portfolio string
	// Token is the access token sending from this number uses.
	Token Secret
	// Throughput is the messages per second Meta allows the number; 0 means
	// DefaultThroughput.
	Throughput int
	// Campaign is the name of the campaign the number sends, for campaign numbers; its
	// routing policy applies to replies to this number.
	Campaign string
	// Policy overrides the campaign's routing policy for this number; empty: the
	// campaign's.
	Policy Policy
}

// Digits returns the display number's digits: the form wa.me links and webhooks use.
func (n Number) Digits() string { return Digits(n.Display) }

// String describes the number without its token.
func (n Number) String() string {
	return fmt.Sprintf("%s number %s (%s)", n.Role, n.ID, n.Display)
}

// GoString describes the number for %#v without its token.
func (n Number) GoString() string {
	return fmt.Sprintf("numbers.Number{ID:%q, Display:%q, Role:%q, WABA:%q, Portfolio:%q, Token:%s, Throughput:%d, Campaign:%q, Policy:%q}",
		n.ID, n.Display, n.Role, n.WABA, n.Portfolio, n.Token.GoString(), n.Throughput, n.Campaign, n.Policy)
}

// LogValue logs the number without its token.
func (n Number) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", string(n.ID)),
		slog.String("role", string(n.Role)),
		slog.String("waba", n.WABA),
	)
}

// Digits keeps only the ASCII digits of s: "+966 55-123 4567" becomes "966551234567".
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
