package chat

import "time"

// ServiceWindow is WhatsApp's customer service window: a business number may send a
// contact free-form messages for this long after the contact last wrote (or called) to
// it; after that only an approved template reaches them.
const ServiceWindow = 24 * time.Hour

// ContactID identifies a customer across every business number. It is the WhatsApp wa_id
// (the phone number in international form, digits only) or, when Meta withholds the phone
// number, the business-scoped user id. History and sessions are keyed by it, never by the
// number that a message came through.
type ContactID string

// Redacted keeps the last four characters of the id, so that logs never carry a full
// phone number.
func (c ContactID) Redacted() string {
	if len(c) <= 4 {
		return "…" + string(c)
	}
	return "…" + string(c[len(c)-4:])
}

// NumberID identifies one of the business's WhatsApp numbers (Meta's phone number id).
type NumberID string

// Kind names the shape of a message.
type Kind string

// Message kinds. Inbound messages use the text, button, list and media kinds plus the
// WhatsApp extras; outbound messages use text, buttons, list, template and media.
const (
	KindText        Kind = "text"
	KindButtons     Kind = "buttons"  // outbound reply buttons
	KindList        Kind = "list"     // outbound list message
	KindTemplate    Kind = "template" // outbound approved template
	KindButtonReply Kind = "button_reply"
	KindListReply   Kind = "list_reply"
	KindImage       Kind = "image"
	KindAudio       Kind = "audio"
	KindVideo       Kind = "video"
	KindDocument    Kind = "document"
	KindSticker     Kind = "sticker"
	KindLocation    Kind = "location"
	KindContacts    Kind = "contacts"
	KindReaction    Kind = "reaction"
	KindUnsupported Kind = "unsupported"
	// KindCall is a WhatsApp voice call between the contact and a business number, not a
	// message: Inbound.Call says which way and how it ended. It opens the 24-hour window
	// when the contact called, and is recorded as an EventCall; it starts no flow.
	KindCall Kind = "call"
)

// IsMedia reports whether k carries a media object.
func (k Kind) IsMedia() bool {
	switch k {
	case KindImage, KindAudio, KindVideo, KindDocument, KindSticker:
		return true
	}
	return false
}

// Media is an attachment, referenced either by a WhatsApp media id or by a link.
type Media struct {
	ID       string `json:"id,omitempty"`
	URL      string `json:"url,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Location is a shared map position.
type Location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name,omitempty"`
	Address   string  `json:"address,omitempty"`
}

// Inbound is one message a contact sent to one of the business numbers.
type Inbound struct {
	ID          string    `json:"id"`                // WhatsApp message id (wamid), unique per message
	Contact     ContactID `json:"contact"`           // who wrote
	UserID      string    `json:"user_id,omitempty"` // Meta's business-scoped user id, when sent
	ProfileName string    `json:"profile_name,omitempty"`
	Number      NumberID  `json:"number"` // the business number that received it
	Kind        Kind      `json:"kind"`
	Text        string    `json:"text,omitempty"`       // body, caption or the title of the chosen reply
	ReplyID     string    `json:"reply_id,omitempty"`   // id of the pressed button or chosen list row
	Media       *Media    `json:"media,omitempty"`      // for media kinds
	Location    *Location `json:"location,omitempty"`   // for KindLocation
	ContextID   string    `json:"context_id,omitempty"` // the message this one replies to
	Campaign    string    `json:"campaign,omitempty"`   // the campaign this message answers, when known
	Referral    string    `json:"referral,omitempty"`   // click-to-WhatsApp ad source id
	Call        *Call     `json:"call,omitempty"`       // for KindCall
	At          time.Time `json:"at"`
}

// Call is what WhatsApp reported of a voice call (the calls webhook): one Inbound of
// KindCall per event, so a call that was answered and ended arrives as two.
type Call struct {
	ID    string `json:"id"`    // Meta's call id (wacid)
	Event string `json:"event"` // CallConnect or CallTerminate
	// Direction is CallUserInitiated (the contact called the business) or
	// CallBusinessInitiated.
	Direction string `json:"direction"`
	// Status is how a terminated call ended: COMPLETED or FAILED (Meta's words).
	Status string `json:"status,omitempty"`
	// Duration is how long an answered call lasted, in seconds.
	Duration int `json:"duration,omitempty"`
}

// Call events and directions, as Meta names them.
const (
	CallConnect           = "connect"
	CallTerminate         = "terminate"
	CallUserInitiated     = "USER_INITIATED"
	CallBusinessInitiated = "BUSINESS_INITIATED"
)

// FromContact reports whether the contact placed the call. Only such calls open the
// 24-hour customer service window ("when a WhatsApp user messages you or calls you").
func (c *Call) FromContact() bool { return c != nil && c.Direction != CallBusinessInitiated }

// Button is one reply button of an outbound buttons message.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Row is one row of an outbound list message.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Section groups list rows under an optional title.
type Section struct {
	Title string `json:"title,omitempty"`
	Rows  []Row  `json:"rows"`
}

// Template is an approved WhatsApp template with its body parameters.
type Template struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Params   []string `json:"params,omitempty"` // body parameters {{1}}, {{2}}, ...
}

// Outbound is one message the business sends to a contact.
type Outbound struct {
	To         ContactID `json:"to"`
	From       NumberID  `json:"from,omitempty"` // empty: the routing layer chooses
	Kind       Kind      `json:"kind"`
	Text       string    `json:"text,omitempty"`        // body of text, buttons and list messages
	Header     string    `json:"header,omitempty"`      // text header of buttons and list messages
	Footer     string    `json:"footer,omitempty"`      // footer of buttons and list messages
	Buttons    []Button  `json:"buttons,omitempty"`     // KindButtons
	ListButton string    `json:"list_button,omitempty"` // label of the button that opens a list
	Sections   []Section `json:"sections,omitempty"`    // KindList
	Template   *Template `json:"template,omitempty"`    // KindTemplate
	Media      *Media    `json:"media,omitempty"`       // media kinds
	ReplyTo    string    `json:"reply_to,omitempty"`    // inbound message id this answers
	// CallbackData is echoed by Meta in every status webhook of the message; campaigns
	// name the (campaign, contact, attempt) in it.
	CallbackData string `json:"callback_data,omitempty"`
}

// EventKind names an entry of a contact's history.
type EventKind string

// History event kinds.
const (
	EventInbound  EventKind = "inbound"
	EventOutbound EventKind = "outbound"
	EventAgent    EventKind = "agent"   // a human agent's reply
	EventOptOut   EventKind = "opt_out" // the contact asked to stop
	EventOptIn    EventKind = "opt_in"  // the contact asked to resume
	EventHandoff  EventKind = "handoff" // the bot handed the conversation to a queue
	EventReturn   EventKind = "return"  // the conversation came back to the bot
	EventNumber   EventKind = "number"  // the contact moved to another business number
	EventError    EventKind = "error"   // a step failed (HTTP error, step limit, ...)
	EventRefused  EventKind = "refused" // a send was refused (window closed, opted out)
	EventStatus   EventKind = "status"  // delivery status of an outbound message
	EventCall     EventKind = "call"    // a voice call (Inbound.Call has its direction and outcome)
	// EventQuestionChanged: an answer came to a question that a reload had changed or
	// removed; the customer was told and asked again.
	EventQuestionChanged EventKind = "question_changed"
)

// Event is one entry of a contact's history. History is append-only and keyed by the
// contact, whatever number each entry came through.
type Event struct {
	Kind     EventKind `json:"kind"`
	Contact  ContactID `json:"contact"`
	Number   NumberID  `json:"number,omitempty"`
	At       time.Time `json:"at"`
	Inbound  *Inbound  `json:"inbound,omitempty"`
	Outbound *Outbound `json:"outbound,omitempty"`
	Flow     string    `json:"flow,omitempty"`
	Step     string    `json:"step,omitempty"`
	Detail   string    `json:"detail,omitempty"` // for people: error text, reason, status, ...

	// Typed details, so that readers and exports filter on fields instead of parsing
	// Detail. Each is set only by the events it belongs to.

	// ErrorCode is Meta's error code of a failed send or a failed status (0: none, or a
	// failure that is not Meta's answer); ErrorClass is its class (whatsapp.Class as text:
	// "restricted", "window_closed", ...).
	ErrorCode  int    `json:"error_code,omitempty"`
	ErrorClass string `json:"error_class,omitempty"`
	// From and To are the business numbers of a change: the number the contact wrote to
	// before and now (a number event), or the number a refused reply would have left from
	// and the number of the message the router sent in its place.
	From NumberID `json:"from,omitempty"`
	To   NumberID `json:"to,omitempty"`
	// Queue is the human queue of a hand-off, or the one a return to the bot left.
	Queue string `json:"queue,omitempty"`

	// ID is the event's history entry id, set when the history is read back (never
	// stored in the event): the outbox and the delivery states name a message by it.
	ID string `json:"id,omitempty"`
	// Delivery is the delivery state of an outbound or agent event, set by readers that
	// fold it in (the history export); never stored in the event.
	Delivery *Delivery `json:"delivery,omitempty"`
}

// DeliveryID returns the id of the webhook item an event records, the one stores
// deduplicate on so that a webhook Meta delivers again is handled once: an inbound
// message's or a call's id. Other events have none.
func (e Event) DeliveryID() string {
	if (e.Kind == EventInbound || e.Kind == EventCall) && e.Inbound != nil {
		return e.Inbound.ID
	}
	return ""
}
