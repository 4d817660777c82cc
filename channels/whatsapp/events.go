package whatsapp

import (
	"encoding/json"
	"time"

	"github.com/wasla/wasla/chat"
)

// EventType names an event for logs, metrics and golden files.
type EventType string

// The event types ParseWebhook produces.
const (
	TypeMessage          EventType = "message"
	TypeStatus           EventType = "status"
	TypeError            EventType = "error"
	TypeQualityUpdate    EventType = "phone_number_quality_update"
	TypeAccountUpdate    EventType = "account_update"
	TypeTemplateStatus   EventType = "message_template_status_update"
	TypeUserPreference   EventType = "user_preferences"
	TypeCall             EventType = "call"
	TypeTemplateCategory EventType = "template_category_update"
	TypeUnknown          EventType = "unknown"
)

// Event is one item of a webhook batch. The set is closed: it is one of *Message,
// *Status, *ErrorEvent, *QualityUpdate, *AccountUpdate, *TemplateStatus, *UserPreference,
// *Call and *Unknown.
type Event interface {
	// Type names the event.
	Type() EventType
	// RawJSON returns the JSON object the event was decoded from (a message, a status or
	// a change's value), shared with the parsed body: callers must not modify it.
	RawJSON() json.RawMessage
	isEvent()
}

// Envelope is what every event knows about where it came from.
type Envelope struct {
	// WABA is the WhatsApp Business Account id of the entry (entry[].id).
	WABA string `json:"waba"`
	// Field is the subscription field of the change ("messages", "account_update", ...).
	Field string `json:"field"`
	// Raw is the JSON object the event was decoded from.
	Raw json.RawMessage `json:"-"`
}

// RawJSON returns the JSON object the event was decoded from.
func (e *Envelope) RawJSON() json.RawMessage { return e.Raw }

func (*Envelope) isEvent() {}

// Message is one inbound message from a WhatsApp user. Inbound holds what flows see;
// the other fields keep the WhatsApp details that the chat vocabulary has no room for.
type Message struct {
	Envelope
	Inbound chat.Inbound `json:"inbound"`
	// DisplayNumber is the business number as shown to users (metadata.display_phone_number).
	DisplayNumber string `json:"display_number,omitempty"`
	// WireType is Meta's message type as sent ("text", "interactive", "order", ...).
	WireType string `json:"wire_type"`
	// Username is the user's WhatsApp username, when they set one (2026).
	Username string `json:"username,omitempty"`
	// ParentUserID is the user's parent business-scoped user id, for managed businesses.
	ParentUserID string `json:"parent_user_id,omitempty"`
	// QuickReply is set when a KindButtonReply came from a template quick-reply button
	// (type "button") rather than an interactive reply button.
	QuickReply bool `json:"quick_reply,omitempty"`
	// ReplyDescription is the description of the chosen list row.
	ReplyDescription string `json:"reply_description,omitempty"`
	// ContextFrom is the business number the quoted message came from.
	ContextFrom string `json:"context_from,omitempty"`
	// Forwarded and FrequentlyForwarded report WhatsApp's forwarding marks.
	Forwarded           bool `json:"forwarded,omitempty"`
	FrequentlyForwarded bool `json:"frequently_forwarded,omitempty"`
	// MediaSHA256, Voice and Animated describe media: the file hash, a voice note (audio),
	// an animated sticker.
	MediaSHA256 string `json:"media_sha256,omitempty"`
	Voice       bool   `json:"voice,omitempty"`
	Animated    bool   `json:"animated,omitempty"`
	// LocationURL is the URL attached to a shared place.
	LocationURL string `json:"location_url,omitempty"`
	// Contacts are the cards of a KindContacts message.
	Contacts []SharedContact `json:"contacts,omitempty"`
	// Reaction is set for KindReaction. Inbound.Text carries the emoji and
	// Inbound.ContextID the message reacted to.
	Reaction *Reaction `json:"reaction,omitempty"`
	// Referral is the click-to-WhatsApp ad the conversation started from;
	// Inbound.Referral carries its source id.
	Referral *Referral `json:"referral,omitempty"`
	// System is set for system messages (the user changed number or user id).
	System *System `json:"system,omitempty"`
	// UnsupportedType names what WhatsApp or this package could not represent, for
	// KindUnsupported ("poll_update", "order", "interactive/nfm_reply", ...).
	UnsupportedType string `json:"unsupported_type,omitempty"`
	// Errors are the errors Meta attached to the message (131051 for unsupported types),
	// or one this package made up for a type it does not handle.
	Errors []WebhookError `json:"errors,omitempty"`
}

// Type returns TypeMessage.
func (*Message) Type() EventType { return TypeMessage }

// SharedContact is one contact card a user shared.
type SharedContact struct {
	FormattedName string         `json:"formatted_name,omitempty"`
	FirstName     string         `json:"first_name,omitempty"`
	LastName      string         `json:"last_name,omitempty"`
	Phones        []ContactPhone `json:"phones,omitempty"`
	Emails        []string       `json:"emails,omitempty"`
	Organization  string         `json:"organization,omitempty"`
}

// ContactPhone is one phone number of a shared contact card. WaID is set when the number
// is on WhatsApp.
type ContactPhone struct {
	Phone string `json:"phone,omitempty"`
	WaID  string `json:"wa_id,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Reaction is an emoji reaction to an earlier message. An empty Emoji means the user
// removed their reaction.
type Reaction struct {
	MessageID string `json:"message_id"`
	Emoji     string `json:"emoji,omitempty"`
	Removed   bool   `json:"removed,omitempty"`
}

// Referral describes the click-to-WhatsApp ad or post a conversation started from.
type Referral struct {
	SourceURL    string `json:"source_url,omitempty"`
	SourceID     string `json:"source_id,omitempty"`
	SourceType   string `json:"source_type,omitempty"`
	Headline     string `json:"headline,omitempty"`
	Body         string `json:"body,omitempty"`
	MediaType    string `json:"media_type,omitempty"`
	ImageURL     string `json:"image_url,omitempty"`
	VideoURL     string `json:"video_url,omitempty"`
	ThumbnailURL string `json:"thumbnail_url,omitempty"`
	CtwaClid     string `json:"ctwa_clid,omitempty"`
	WelcomeText  string `json:"welcome_text,omitempty"`
}

// System is a system message: the user changed phone number (NewWaID) or business-scoped
// user id. Session state keyed on the old ids must follow.
type System struct {
	Type           string `json:"type,omitempty"`
	Body           string `json:"body,omitempty"`
	NewWaID        string `json:"new_wa_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
	PreviousUserID string `json:"previous_user_id,omitempty"`
}

// DeliveryStatus is the state an outbound message reached.
type DeliveryStatus string

// Delivery statuses. Apply them monotonically (sent < delivered < read; failed is final):
// Meta delivers them out of order and sometimes skips delivered.
const (
	StatusSent      DeliveryStatus = "sent"
	StatusDelivered DeliveryStatus = "delivered"
	StatusRead      DeliveryStatus = "read"
	StatusPlayed    DeliveryStatus = "played"
	StatusFailed    DeliveryStatus = "failed"
)

// Status reports what happened to a message the business sent. A failed status can
// arrive after Send returned a wamid: a 200 from the send API is not delivery.
type Status struct {
	Envelope
	// MessageID is the wamid Send returned.
	MessageID string         `json:"message_id"`
	Status    DeliveryStatus `json:"status"`
	// Number is the business number that sent the message.
	Number chat.NumberID `json:"number"`
	// Recipient is the user's wa_id (recipient_id); RecipientUserID their business-scoped
	// user id. Either may be empty.
	Recipient       chat.ContactID `json:"recipient,omitempty"`
	RecipientUserID string         `json:"recipient_user_id,omitempty"`
	At              time.Time      `json:"at"`
	// CallbackData echoes the biz_opaque_callback_data set at send time.
	CallbackData string         `json:"callback_data,omitempty"`
	Conversation *Conversation  `json:"conversation,omitempty"`
	Pricing      *Pricing       `json:"pricing,omitempty"`
	Errors       []WebhookError `json:"errors,omitempty"`
}

// Type returns TypeStatus.
func (*Status) Type() EventType { return TypeStatus }

// Conversation is the billing conversation of a status, omitted by Meta since v24.0
// except for free entry-point windows.
type Conversation struct {
	ID         string    `json:"id,omitempty"`
	Expiration time.Time `json:"expiration,omitzero"`
	Origin     string    `json:"origin,omitempty"`
}

// Pricing is how a message is billed.
type Pricing struct {
	Billable     *bool  `json:"billable,omitempty"`
	PricingModel string `json:"pricing_model,omitempty"`
	Type         string `json:"type,omitempty"`
	Category     string `json:"category,omitempty"`
}

// WebhookError is an error as Meta reports it inside webhooks: on a failed status, on an
// unsupported message, or in value.errors.
type WebhookError struct {
	Code    int    `json:"code"`
	Title   string `json:"title,omitempty"`
	Message string `json:"message,omitempty"`
	Details string `json:"details,omitempty"`
	Href    string `json:"href,omitempty"`
}

// Class classifies the error code the same way as for send errors.
func (e WebhookError) Class() Class { return Classify(e.Code, 0) }

// Error describes the error.
func (e WebhookError) Error() string {
	return describe(e.Code, e.Title, e.Message, e.Details)
}

// Is reports whether target is the class sentinel of e (ErrWindowClosed, ...).
func (e WebhookError) Is(target error) bool { return e.Class().sentinel() == target && target != nil }

// ErrorEvent carries value.errors: problems with the app, the account or the number that
// are not tied to one message (130429 rate limit, for example).
type ErrorEvent struct {
	Envelope
	Number chat.NumberID  `json:"number,omitempty"`
	Errors []WebhookError `json:"errors"`
}

// Type returns TypeError.
func (*ErrorEvent) Type() EventType { return TypeError }

// QualityUpdate is a phone_number_quality_update. It names the number only by its display
// number; mapping it to a phone number id is the caller's job. Event values seen are
// ONBOARDING and THROUGHPUT_UPGRADE, and on older payloads FLAGGED, UNFLAGGED, UPGRADE and
// DOWNGRADE; unknown values are kept as they are.
type QualityUpdate struct {
	Envelope
	At            time.Time `json:"at,omitzero"`
	DisplayNumber string    `json:"display_number"`
	Event         string    `json:"event"`
	CurrentLimit  string    `json:"current_limit,omitempty"`
	OldLimit      string    `json:"old_limit,omitempty"`
	// MaxDailyConversations is the portfolio's messaging limit
	// (max_daily_conversations_per_business: TIER_250 ... TIER_UNLIMITED).
	MaxDailyConversations string `json:"max_daily_conversations,omitempty"`
}

// Type returns TypeQualityUpdate.
func (*QualityUpdate) Type() EventType { return TypeQualityUpdate }

// AccountUpdate is an account_update: restrictions, violations, bans, partner and
// lifecycle events of a WhatsApp Business Account. Events include ACCOUNT_RESTRICTION,
// ACCOUNT_VIOLATION, DISABLED_UPDATE, ACCOUNT_DELETED, ACCOUNT_OFFBOARDED and many more;
// unknown values are kept as they are, and RawJSON has the whole value.
type AccountUpdate struct {
	Envelope
	At    time.Time `json:"at,omitzero"`
	Event string    `json:"event"`
	// PhoneNumber is set by the events that concern one number.
	PhoneNumber   string        `json:"phone_number,omitempty"`
	Restrictions  []Restriction `json:"restrictions,omitempty"`
	ViolationType string        `json:"violation_type,omitempty"`
	// BanState is DISABLE, SCHEDULE_FOR_DISABLE or REINSTATE for DISABLED_UPDATE.
	BanState string `json:"ban_state,omitempty"`
	BanDate  string `json:"ban_date,omitempty"`
}

// Type returns TypeAccountUpdate.
func (*AccountUpdate) Type() EventType { return TypeAccountUpdate }

// Restriction is one restriction of an ACCOUNT_RESTRICTION event, such as
// RESTRICTED_BIZ_INITIATED_MESSAGING, with the time it lifts.
type Restriction struct {
	Type       string    `json:"type"`
	Expiration time.Time `json:"expiration,omitzero"`
}

// TemplateStatus is a message_template_status_update: a template was approved, rejected,
// paused, disabled, archived...
type TemplateStatus struct {
	Envelope
	At         time.Time `json:"at,omitzero"`
	Event      string    `json:"event"`
	TemplateID string    `json:"template_id"`
	Name       string    `json:"name"`
	Language   string    `json:"language"`
	Reason     string    `json:"reason,omitempty"`
	Category   string    `json:"category,omitempty"`
	// Title and Description come from other_info (pause and unpause events).
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// DisableDate comes from disable_info.
	DisableDate string `json:"disable_date,omitempty"`
	// RejectionReason and Recommendation come from rejection_info.
	RejectionReason string `json:"rejection_reason,omitempty"`
	Recommendation  string `json:"recommendation,omitempty"`
}

// Type returns TypeTemplateStatus.
func (*TemplateStatus) Type() EventType { return TypeTemplateStatus }

// TemplateCategory is a template_category_update: Meta changed a template's category
// (PreviousCategory -> NewCategory), or will change it (an impending notice: CorrectCategory
// is the category it will get at UpdateAt, NewCategory the current one). Meta's routing
// guide says to act on completed changes only.
type TemplateCategory struct {
	Envelope
	At               time.Time `json:"at,omitzero"`
	TemplateID       string    `json:"template_id"`
	Name             string    `json:"name"`
	Language         string    `json:"language"`
	PreviousCategory string    `json:"previous_category,omitempty"`
	NewCategory      string    `json:"new_category,omitempty"`
	CorrectCategory  string    `json:"correct_category,omitempty"`
	UpdateAt         time.Time `json:"update_at,omitzero"`
}

// Type returns TypeTemplateCategory.
func (*TemplateCategory) Type() EventType { return TypeTemplateCategory }

// Impending reports whether the notice announces a change that has not happened yet.
func (t *TemplateCategory) Impending() bool { return t.CorrectCategory != "" }

// UserPreference is one item of a user_preferences change: a user tapped stop (or resume)
// on a business's marketing messages. wasla honours it as it honours the opt-out (and
// opt-in) words, since a user who stopped must not be written to again.
type UserPreference struct {
	Envelope
	// Number is the business number the preference is about (metadata.phone_number_id).
	Number  chat.NumberID  `json:"number,omitempty"`
	Contact chat.ContactID `json:"contact"`
	// Category is the kind of messages, "marketing_messages".
	Category string `json:"category"`
	// Value is PreferenceStop or PreferenceResume.
	Value  string    `json:"value"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// The values of a UserPreference.
const (
	PreferenceStop   = "stop"
	PreferenceResume = "resume"
)

// Type returns TypeUserPreference.
func (*UserPreference) Type() EventType { return TypeUserPreference }

// Call is one item of a calls change: a voice call between a WhatsApp user and a business
// number was connected or terminated. Inbound carries it the way wasla records it (Kind
// chat.KindCall, Inbound.Call with the direction and outcome) so that it travels the same
// durable path as a message; its ID is unique per call and event ("call:<id>:<event>"),
// so a redelivered webhook is handled once. Media (WebRTC SDP, SIP) is not kept.
type Call struct {
	Envelope
	Inbound chat.Inbound `json:"inbound"`
	// DisplayNumber is the business number as shown to users.
	DisplayNumber string `json:"display_number,omitempty"`
	// StartTime and EndTime bound an answered call.
	StartTime time.Time `json:"start_time,omitzero"`
	EndTime   time.Time `json:"end_time,omitzero"`
	// CallbackData echoes biz_opaque_callback_data of a call the business accepted or
	// placed.
	CallbackData string `json:"callback_data,omitempty"`
	// Errors are those Meta attached to the call's change (a failed call).
	Errors []WebhookError `json:"errors,omitempty"`
}

// Type returns TypeCall.
func (*Call) Type() EventType { return TypeCall }

// Unknown is a change this package does not decode: a field it has no type for, an object
// other than whatsapp_business_account, or an item whose shape did not match Meta's
// (Reason says why). It is reported rather than dropped so the server can log and count
// it.
type Unknown struct {
	Envelope
	Object string    `json:"object,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// Type returns TypeUnknown.
func (*Unknown) Type() EventType { return TypeUnknown }

// Batch is everything one webhook POST carried, in order.
type Batch struct {
	Object string  `json:"object"`
	Events []Event `json:"events"`
}
