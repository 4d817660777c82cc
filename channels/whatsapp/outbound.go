package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/wasla/wasla/chat"
)

// Limits Meta documents for send requests; BuildMessage refuses messages over them so the
// mistake surfaces before a request is spent.
const (
	maxTextBody         = 4096
	maxButtons          = 3
	maxButtonBody       = 1024
	maxButtonTitle      = 20
	maxButtonID         = 256
	maxListBody         = 4096
	maxListButton       = 20
	maxListSections     = 10
	maxListRows         = 10
	maxSectionTitle     = 24
	maxRowID            = 200
	maxRowTitle         = 24
	maxRowDescription   = 72
	maxMediaCaption     = 1024
	messagingProduct    = "whatsapp"
	recipientIndividual = "individual"
)

// SendRequest is the JSON body of POST /{version}/{phone-number-id}/messages.
type SendRequest struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	// To is the user's phone number with its "+"; Recipient is used instead for a
	// business-scoped user id.
	To        string          `json:"to,omitempty"`
	Recipient string          `json:"recipient,omitempty"`
	Type      string          `json:"type"`
	Context   *MessageContext `json:"context,omitempty"`

	Text        *TextBody    `json:"text,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
	Template    *Template    `json:"template,omitempty"`
	Image       *MediaObject `json:"image,omitempty"`
	Audio       *MediaObject `json:"audio,omitempty"`
	Video       *MediaObject `json:"video,omitempty"`
	Document    *MediaObject `json:"document,omitempty"`
	Sticker     *MediaObject `json:"sticker,omitempty"`

	// CallbackData is echoed back in the status webhooks of this message
	// (biz_opaque_callback_data).
	CallbackData string `json:"biz_opaque_callback_data,omitempty"`
}

// MessageContext quotes the message being answered.
type MessageContext struct {
	MessageID string `json:"message_id"`
}

// TextBody is a text message.
type TextBody struct {
	PreviewURL bool   `json:"preview_url,omitempty"`
	Body       string `json:"body"`
}

// Interactive is a reply-buttons ("button") or list ("list") message.
type Interactive struct {
	Type   string             `json:"type"`
	Header *InteractiveHeader `json:"header,omitempty"`
	Body   InteractiveText    `json:"body"`
	Footer *InteractiveText   `json:"footer,omitempty"`
	Action InteractiveAction  `json:"action"`
}

// InteractiveHeader is the text header of an interactive message.
type InteractiveHeader struct {
	Type string `json:"type"` // always "text" here
	Text string `json:"text"`
}

// maxHeaderFooter is WhatsApp's limit on an interactive header or footer text.
const maxHeaderFooter = 60

// headerFooter fills the optional header and footer of an interactive message.
func headerFooter(in *Interactive, msg chat.Outbound) error {
	if err := checkOptional("header", msg.Header, maxHeaderFooter); err != nil {
		return err
	}
	if err := checkOptional("footer", msg.Footer, maxHeaderFooter); err != nil {
		return err
	}
	if msg.Header != "" {
		in.Header = &InteractiveHeader{Type: "text", Text: msg.Header}
	}
	if msg.Footer != "" {
		in.Footer = &InteractiveText{Text: msg.Footer}
	}
	return nil
}

// InteractiveText is the body of an interactive message.
type InteractiveText struct {
	Text string `json:"text"`
}

// InteractiveAction holds the reply buttons, or the list button label and sections.
type InteractiveAction struct {
	Button   string        `json:"button,omitempty"`
	Buttons  []ReplyButton `json:"buttons,omitempty"`
	Sections []ListSection `json:"sections,omitempty"`
}

// ReplyButton is one reply button; its type is always "reply".
type ReplyButton struct {
	Type  string      `json:"type"`
	Reply ButtonReply `json:"reply"`
}

// ButtonReply is the id and title of a reply button.
type ButtonReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// ListSection is one section of a list message.
type ListSection struct {
	Title string    `json:"title,omitempty"`
	Rows  []ListRow `json:"rows"`
}

// ListRow is one row of a list message.
type ListRow struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Template is a template message with its components.
type Template struct {
	Name       string              `json:"name"`
	Language   TemplateLanguage    `json:"language"`
	Components []TemplateComponent `json:"components,omitempty"`
}

// TemplateLanguage is the language and locale code of a template ("en_US").
type TemplateLanguage struct {
	Code string `json:"code"`
}

// TemplateComponent fills one component of a template: "header", "body" or "button"
// (with SubType "quick_reply" or "url" and Index "0", "1", ...).
type TemplateComponent struct {
	Type       string              `json:"type"`
	SubType    string              `json:"sub_type,omitempty"`
	Index      string              `json:"index,omitempty"`
	Parameters []TemplateParameter `json:"parameters,omitempty"`
}

// TemplateParameter is one parameter: "text" (positional, or named with ParameterName),
// "payload" for quick-reply buttons, or media for headers.
type TemplateParameter struct {
	Type          string       `json:"type"`
	ParameterName string       `json:"parameter_name,omitempty"`
	Text          string       `json:"text,omitempty"`
	Payload       string       `json:"payload,omitempty"`
	Image         *MediaObject `json:"image,omitempty"`
	Video         *MediaObject `json:"video,omitempty"`
	Document      *MediaObject `json:"document,omitempty"`
}

// MediaObject references media by uploaded id (preferred by Meta for throughput) or by
// link.
type MediaObject struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// MarkReadRequest is the JSON body that marks an inbound message (and the earlier ones of
// the thread) as read, optionally showing "typing..." until the reply or 25 seconds.
type MarkReadRequest struct {
	MessagingProduct string           `json:"messaging_product"`
	Status           string           `json:"status"`
	MessageID        string           `json:"message_id"`
	TypingIndicator  *TypingIndicator `json:"typing_indicator,omitempty"`
}

// TypingIndicator shows the typing indicator; its type is always "text".
type TypingIndicator struct {
	Type string `json:"type"`
}

// BuildMessage returns the exact JSON body the Graph API expects for msg.
func BuildMessage(msg chat.Outbound) ([]byte, error) {
	req, err := NewSendRequest(msg)
	if err != nil {
		return nil, err
	}
	return marshalBody(req)
}

// BuildMarkRead returns the JSON body that marks messageID as read, with the typing
// indicator when typing is set.
func BuildMarkRead(messageID string, typing bool) ([]byte, error) {
	req, err := NewMarkReadRequest(messageID, typing)
	if err != nil {
		return nil, err
	}
	return marshalBody(req)
}

// marshalBody encodes a request body without HTML escaping, so "&", "<" and ">" in
// message text travel as themselves (both forms are valid JSON; this one is what people
// reading recorded requests expect).
func marshalBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// NewMarkReadRequest returns the read receipt for messageID.
func NewMarkReadRequest(messageID string, typing bool) (*MarkReadRequest, error) {
	if messageID == "" {
		return nil, fmt.Errorf("%w: mark as read needs a message id", ErrInvalidMessage)
	}
	req := &MarkReadRequest{MessagingProduct: messagingProduct, Status: "read", MessageID: messageID}
	if typing {
		req.TypingIndicator = &TypingIndicator{Type: "text"}
	}
	return req, nil
}

// NewSendRequest converts msg into a send request, refusing with an error wrapping
// ErrInvalidMessage what WhatsApp would refuse. msg.From is not part of the body: it is
// the phone number id in the request path.
func NewSendRequest(msg chat.Outbound) (*SendRequest, error) {
	req, err := newRequest(msg.To, msg.ReplyTo)
	if err != nil {
		return nil, err
	}
	req.CallbackData = msg.CallbackData
	switch k := msg.Kind; k {
	case chat.KindText:
		if err := checkText("text body", msg.Text, maxTextBody); err != nil {
			return nil, err
		}
		req.Type = "text"
		req.Text = &TextBody{Body: msg.Text, PreviewURL: hasURL(msg.Text)}
	case chat.KindButtons:
		in, err := buttonsMessage(msg)
		if err != nil {
			return nil, err
		}
		req.Type, req.Interactive = "interactive", in
	case chat.KindList:
		in, err := listMessage(msg)
		if err != nil {
			return nil, err
		}
		req.Type, req.Interactive = "interactive", in
	case chat.KindTemplate:
		if msg.Template == nil {
			return nil, fmt.Errorf("%w: template message without a template", ErrInvalidMessage)
		}
		t := Template{Name: msg.Template.Name, Language: TemplateLanguage{Code: msg.Template.Language}}
		if len(msg.Template.Params) > 0 {
			body := TemplateComponent{Type: "body"}
			for _, p := range msg.Template.Params {
				body.Parameters = append(body.Parameters, TemplateParameter{Type: "text", Text: p})
			}
			t.Components = []TemplateComponent{body}
		}
		if err := checkTemplate(&t); err != nil {
			return nil, err
		}
		req.Type, req.Template = "template", &t
	case chat.KindImage, chat.KindAudio, chat.KindVideo, chat.KindDocument, chat.KindSticker:
		obj, err := mediaObject(k, msg.Media)
		if err != nil {
			return nil, err
		}
		req.Type = string(k)
		switch k {
		case chat.KindImage:
			req.Image = obj
		case chat.KindAudio:
			req.Audio = obj
		case chat.KindVideo:
			req.Video = obj
		case chat.KindDocument:
			req.Document = obj
		case chat.KindSticker:
			req.Sticker = obj
		}
	default:
		return nil, fmt.Errorf("%w: kind %q cannot be sent to WhatsApp", ErrInvalidMessage, k)
	}
	return req, nil
}

// NewTemplateRequest builds a template message with full components (header media,
// named parameters, button payloads), which chat.Template cannot express.
func NewTemplateRequest(to chat.ContactID, t Template, replyTo string) (*SendRequest, error) {
	req, err := newRequest(to, replyTo)
	if err != nil {
		return nil, err
	}
	if err := checkTemplate(&t); err != nil {
		return nil, err
	}
	req.Type, req.Template = "template", &t
	return req, nil
}

func newRequest(to chat.ContactID, replyTo string) (*SendRequest, error) {
	req := &SendRequest{MessagingProduct: messagingProduct, RecipientType: recipientIndividual}
	switch {
	case to == "":
		return nil, fmt.Errorf("%w: no recipient", ErrInvalidMessage)
	case IsBusinessScopedUserID(string(to)):
		req.Recipient = string(to)
	default:
		req.To = phoneWithPlus(string(to))
	}
	if replyTo != "" {
		req.Context = &MessageContext{MessageID: replyTo}
	}
	return req, nil
}

// IsBusinessScopedUserID reports whether id has the shape of a business-scoped user id:
// a two-letter country code, a dot, then the identifier ("US.13491208655302741918",
// "US.ENT.11815799212886844830"). Phone numbers and wa_ids are digits.
func IsBusinessScopedUserID(id string) bool {
	if len(id) < 4 || id[2] != '.' {
		return false
	}
	return isUpper(id[0]) && isUpper(id[1])
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// phoneWithPlus adds the "+" Meta asks for: without it, the business number's own country
// code is prepended to the number, which can deliver to the wrong person. A wa_id is
// already the full international number, digits only.
func phoneWithPlus(to string) string {
	if strings.HasPrefix(to, "+") {
		return to
	}
	for _, c := range to {
		if c < '0' || c > '9' {
			return to
		}
	}
	return "+" + to
}

func hasURL(s string) bool {
	return strings.Contains(s, "https://") || strings.Contains(s, "http://")
}

func checkText(what, s string, limit int) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidMessage, what)
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return fmt.Errorf("%w: %s has %d characters, WhatsApp allows %d", ErrInvalidMessage, what, n, limit)
	}
	return nil
}

func checkOptional(what, s string, limit int) error {
	if n := utf8.RuneCountInString(s); n > limit {
		return fmt.Errorf("%w: %s has %d characters, WhatsApp allows %d", ErrInvalidMessage, what, n, limit)
	}
	return nil
}

func buttonsMessage(msg chat.Outbound) (*Interactive, error) {
	if err := checkText("buttons body", msg.Text, maxButtonBody); err != nil {
		return nil, err
	}
	if n := len(msg.Buttons); n < 1 || n > maxButtons {
		return nil, fmt.Errorf("%w: buttons message has %d buttons, WhatsApp allows 1 to %d", ErrInvalidMessage, n, maxButtons)
	}
	in := &Interactive{Type: "button", Body: InteractiveText{Text: msg.Text}}
	if err := headerFooter(in, msg); err != nil {
		return nil, err
	}
	ids, titles := map[string]bool{}, map[string]bool{}
	for i, b := range msg.Buttons {
		if err := checkText(fmt.Sprintf("button %d id", i+1), b.ID, maxButtonID); err != nil {
			return nil, err
		}
		if err := checkText(fmt.Sprintf("button %d title", i+1), b.Title, maxButtonTitle); err != nil {
			return nil, err
		}
		if ids[b.ID] {
			return nil, fmt.Errorf("%w: button id %q is used twice", ErrInvalidMessage, b.ID)
		}
		if titles[b.Title] {
			return nil, fmt.Errorf("%w: button title %q is used twice", ErrInvalidMessage, b.Title)
		}
		ids[b.ID], titles[b.Title] = true, true
		in.Action.Buttons = append(in.Action.Buttons, ReplyButton{Type: "reply", Reply: ButtonReply{ID: b.ID, Title: b.Title}})
	}
	return in, nil
}

func listMessage(msg chat.Outbound) (*Interactive, error) {
	if err := checkText("list body", msg.Text, maxListBody); err != nil {
		return nil, err
	}
	if err := checkText("list button label", msg.ListButton, maxListButton); err != nil {
		return nil, err
	}
	if n := len(msg.Sections); n < 1 || n > maxListSections {
		return nil, fmt.Errorf("%w: list has %d sections, WhatsApp allows 1 to %d", ErrInvalidMessage, n, maxListSections)
	}
	in := &Interactive{Type: "list", Body: InteractiveText{Text: msg.Text}}
	if err := headerFooter(in, msg); err != nil {
		return nil, err
	}
	in.Action.Button = msg.ListButton
	rows, ids := 0, map[string]bool{}
	for i, s := range msg.Sections {
		if len(msg.Sections) > 1 && strings.TrimSpace(s.Title) == "" {
			return nil, fmt.Errorf("%w: list section %d needs a title when a list has several sections", ErrInvalidMessage, i+1)
		}
		if err := checkOptional(fmt.Sprintf("list section %d title", i+1), s.Title, maxSectionTitle); err != nil {
			return nil, err
		}
		if len(s.Rows) == 0 {
			return nil, fmt.Errorf("%w: list section %d has no rows", ErrInvalidMessage, i+1)
		}
		sec := ListSection{Title: s.Title}
		for _, r := range s.Rows {
			rows++
			if err := checkText(fmt.Sprintf("list row %d id", rows), r.ID, maxRowID); err != nil {
				return nil, err
			}
			if err := checkText(fmt.Sprintf("list row %d title", rows), r.Title, maxRowTitle); err != nil {
				return nil, err
			}
			if err := checkOptional(fmt.Sprintf("list row %d description", rows), r.Description, maxRowDescription); err != nil {
				return nil, err
			}
			if ids[r.ID] {
				return nil, fmt.Errorf("%w: list row id %q is used twice", ErrInvalidMessage, r.ID)
			}
			ids[r.ID] = true
			sec.Rows = append(sec.Rows, ListRow(r))
		}
		in.Action.Sections = append(in.Action.Sections, sec)
	}
	if rows > maxListRows {
		return nil, fmt.Errorf("%w: list has %d rows, WhatsApp allows %d in all sections together", ErrInvalidMessage, rows, maxListRows)
	}
	return in, nil
}

func checkTemplate(t *Template) error {
	if strings.TrimSpace(t.Name) == "" {
		return fmt.Errorf("%w: template has no name", ErrInvalidMessage)
	}
	if strings.TrimSpace(t.Language.Code) == "" {
		return fmt.Errorf("%w: template %q has no language code", ErrInvalidMessage, t.Name)
	}
	for _, c := range t.Components {
		for i, p := range c.Parameters {
			if p.Type == "text" && p.Text == "" {
				return fmt.Errorf("%w: template %q %s parameter %d is empty; WhatsApp refuses empty parameters", ErrInvalidMessage, t.Name, c.Type, i+1)
			}
		}
	}
	return nil
}

func mediaObject(k chat.Kind, m *chat.Media) (*MediaObject, error) {
	if m == nil || (m.ID == "" && m.URL == "") {
		return nil, fmt.Errorf("%w: %s message needs a media id or a link", ErrInvalidMessage, k)
	}
	obj := &MediaObject{ID: m.ID, Caption: m.Caption, Filename: m.Filename}
	if m.ID == "" {
		obj.Link = m.URL
	}
	if m.Caption != "" && (k == chat.KindAudio || k == chat.KindSticker) {
		return nil, fmt.Errorf("%w: %s messages cannot have a caption", ErrInvalidMessage, k)
	}
	if err := checkOptional(string(k)+" caption", m.Caption, maxMediaCaption); err != nil {
		return nil, err
	}
	if m.Filename != "" && k != chat.KindDocument {
		return nil, fmt.Errorf("%w: only document messages have a filename, not %s", ErrInvalidMessage, k)
	}
	return obj, nil
}
