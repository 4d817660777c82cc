package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasla/wasla/chat"
)

// ObjectWABA is the webhook object of every WhatsApp Business Account notification.
const ObjectWABA = "whatsapp_business_account"

// Subscription fields this package decodes into typed events.
const (
	FieldMessages                    = "messages"
	FieldPhoneNumberQualityUpdate    = "phone_number_quality_update"
	FieldAccountUpdate               = "account_update"
	FieldMessageTemplateStatusUpdate = "message_template_status_update"
	FieldUserPreferences             = "user_preferences"
	FieldCalls                       = "calls"
	FieldTemplateCategoryUpdate      = "template_category_update"
)

// ParseWebhook decodes the body of a webhook POST into its events, in the order of
// entry[], changes[] and, within a change, messages[], statuses[] and errors[].
//
// Only a body that is not the JSON envelope fails, with an error wrapping ErrMalformed.
// Unknown keys are ignored; an unknown field or object, or an item that does not have
// Meta's shape, becomes an *Unknown event so that one odd item never loses the rest of
// the batch. Verify the signature before calling it.
func ParseWebhook(body []byte) (*Batch, error) {
	if b, ok := parseMessagesOnly(body); ok {
		return b, nil
	}
	return parseWebhook(body)
}

// parseMessagesOnly is ParseWebhook for the commonest POST — WABA changes of the messages
// field without a value-level errors[] — decoding envelope and values in one pass instead
// of decoding each change's value again from its raw bytes. It reports false for any
// other body, which the general path then decodes (and refuses, when malformed).
func parseMessagesOnly(body []byte) (*Batch, bool) {
	var env struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      string   `json:"id"`
			Time    unixTime `json:"time"`
			Changes []struct {
				Field string             `json:"field"`
				Value *wireMessagesValue `json:"value"` // nil: absent or null, left to the general path
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Object != ObjectWABA {
		return nil, false
	}
	for _, entry := range env.Entry {
		for _, ch := range entry.Changes {
			if ch.Field != FieldMessages || ch.Value == nil || len(ch.Value.Errors) > 0 {
				return nil, false
			}
		}
	}
	b := &Batch{Object: env.Object}
	for _, entry := range env.Entry {
		for i := range entry.Changes {
			ch := &entry.Changes[i]
			// Every event of a messages value carries its own item's raw bytes.
			b.Events = appendMessagesValue(b.Events, Envelope{WABA: entry.ID, Field: ch.Field}, ch.Value)
		}
	}
	return b, true
}

// parseWebhook is ParseWebhook's general path: each change's value is decoded by its field.
func parseWebhook(body []byte) (*Batch, error) {
	var env wireEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if env.Object == "" && env.Entry == nil {
		return nil, fmt.Errorf("%w: no object and no entry", ErrMalformed)
	}
	b := &Batch{Object: env.Object}
	if env.Object != ObjectWABA {
		b.Events = append(b.Events, &Unknown{
			Envelope: Envelope{Raw: body},
			Object:   env.Object,
			Reason:   fmt.Sprintf("object %q is not %q", env.Object, ObjectWABA),
		})
		return b, nil
	}
	for _, entry := range env.Entry {
		for _, ch := range entry.Changes {
			b.Events = appendChange(b.Events, entry, ch)
		}
	}
	return b, nil
}

func appendChange(evs []Event, entry wireEntry, ch wireChange) []Event {
	env := Envelope{WABA: entry.ID, Field: ch.Field, Raw: ch.Value}
	unknown := func(reason string) []Event {
		return append(evs, &Unknown{Envelope: env, Object: ObjectWABA, At: entry.Time.t, Reason: reason})
	}
	switch ch.Field {
	case FieldMessages:
		var v wireMessagesValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding messages value: " + err.Error())
		}
		return appendMessagesValue(evs, env, &v)
	case FieldPhoneNumberQualityUpdate:
		var v wireQualityValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding quality update: " + err.Error())
		}
		return append(evs, &QualityUpdate{
			Envelope: env, At: entry.Time.t,
			DisplayNumber: v.DisplayPhoneNumber.s, Event: v.Event,
			CurrentLimit: v.CurrentLimit, OldLimit: v.OldLimit,
			MaxDailyConversations: v.MaxDailyConversationsPerBusiness,
		})
	case FieldAccountUpdate:
		var v wireAccountValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding account update: " + err.Error())
		}
		au := &AccountUpdate{
			Envelope: env, At: entry.Time.t, Event: v.Event, PhoneNumber: v.PhoneNumber.s,
			ViolationType: v.ViolationInfo.ViolationType,
			BanState:      v.BanInfo.WabaBanState, BanDate: v.BanInfo.WabaBanDate.s,
		}
		for _, r := range v.RestrictionInfo {
			au.Restrictions = append(au.Restrictions, Restriction{Type: r.RestrictionType, Expiration: r.Expiration.t})
		}
		return append(evs, au)
	case FieldMessageTemplateStatusUpdate:
		var v wireTemplateValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding template status: " + err.Error())
		}
		return append(evs, &TemplateStatus{
			Envelope: env, At: entry.Time.t, Event: v.Event,
			TemplateID: v.MessageTemplateID.s, Name: v.MessageTemplateName,
			Language: v.MessageTemplateLanguage, Reason: v.Reason.s,
			Category: v.MessageTemplateCategory,
			Title:    v.OtherInfo.Title, Description: v.OtherInfo.Description,
			DisableDate:     v.DisableInfo.DisableDate.s,
			RejectionReason: v.RejectionInfo.Reason, Recommendation: v.RejectionInfo.Recommendation,
		})
	case FieldTemplateCategoryUpdate:
		var v wireTemplateCategoryValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding template category update: " + err.Error())
		}
		return append(evs, &TemplateCategory{
			Envelope: env, At: entry.Time.t, TemplateID: v.MessageTemplateID.s, Name: v.MessageTemplateName,
			Language: v.MessageTemplateLanguage, PreviousCategory: v.PreviousCategory, NewCategory: v.NewCategory,
			CorrectCategory: v.CorrectCategory, UpdateAt: v.CategoryUpdateTimestamp.t,
		})
	case FieldUserPreferences:
		var v wirePreferencesValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding user preferences: " + err.Error())
		}
		for _, p := range v.UserPreferences {
			if p.WaID.s == "" {
				evs = append(evs, &Unknown{Envelope: env, Object: ObjectWABA, At: entry.Time.t, Reason: "user preference without wa_id"})
				continue
			}
			evs = append(evs, &UserPreference{
				Envelope: env, Number: chat.NumberID(v.Metadata.PhoneNumberID.s),
				Contact: chat.ContactID(p.WaID.s), Category: p.Category, Value: p.Value,
				Detail: p.Detail, At: p.Timestamp.t,
			})
		}
		return evs
	case FieldCalls:
		var v wireCallsValue
		if err := json.Unmarshal(ch.Value, &v); err != nil {
			return unknown("decoding calls value: " + err.Error())
		}
		return appendCallsValue(evs, env, entry, &v)
	default:
		return unknown(fmt.Sprintf("field %q is not decoded", ch.Field))
	}
}

// appendCallsValue turns each call of a calls change into a *Call. The contact is the
// caller of a call the user placed and the callee of one the business placed. Call
// statuses (ringing, accepted, rejected: calls the business placed, which wasla does not
// place) are reported as *Unknown.
func appendCallsValue(evs []Event, env Envelope, entry wireEntry, v *wireCallsValue) []Event {
	number := chat.NumberID(v.Metadata.PhoneNumberID.s)
	errs := convertErrors(v.Errors)
	for _, raw := range v.Calls {
		cenv := env
		cenv.Raw = raw
		var c wireCall
		if err := json.Unmarshal(raw, &c); err != nil {
			evs = append(evs, &Unknown{Envelope: cenv, Object: ObjectWABA, At: entry.Time.t, Reason: "decoding call: " + err.Error()})
			continue
		}
		if c.ID == "" || c.Event == "" {
			evs = append(evs, &Unknown{Envelope: cenv, Object: ObjectWABA, At: entry.Time.t, Reason: "call without id or event"})
			continue
		}
		user := c.From.s
		if c.Direction == chat.CallBusinessInitiated {
			user = c.To.s
		}
		ev := &Call{
			Envelope:      cenv,
			DisplayNumber: v.Metadata.DisplayPhoneNumber.s,
			StartTime:     c.StartTime.t, EndTime: c.EndTime.t,
			CallbackData: c.BizOpaqueCallbackData,
			Errors:       errs,
		}
		in := &ev.Inbound
		in.ID = "call:" + c.ID + ":" + strings.ToLower(c.Event)
		in.Number = number
		in.Kind = chat.KindCall
		in.At = c.Timestamp.t
		in.Call = &chat.Call{ID: c.ID, Event: strings.ToLower(c.Event), Direction: strings.ToUpper(c.Direction),
			Status: strings.ToUpper(c.Status), Duration: seconds(c.Duration.f)}
		for _, wc := range v.Contacts {
			if user == "" && len(v.Contacts) == 1 || wc.WaID.s != "" && wc.WaID.s == user {
				in.ProfileName, in.UserID = wc.Profile.Name, wc.UserID
				if user == "" {
					user = wc.WaID.s
				}
				break
			}
		}
		if user == "" {
			user = in.UserID
		}
		in.Contact = chat.ContactID(user)
		evs = append(evs, ev)
	}
	if len(v.Statuses) > 0 {
		evs = append(evs, &Unknown{Envelope: env, Object: ObjectWABA, At: entry.Time.t, Reason: "call statuses (calls the business placed) are not handled"})
	}
	return evs
}

func appendMessagesValue(evs []Event, env Envelope, v *wireMessagesValue) []Event {
	number := chat.NumberID(v.Metadata.PhoneNumberID.s)
	for _, raw := range v.Messages {
		menv := env
		menv.Raw = raw
		var m wireMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			evs = append(evs, &Unknown{Envelope: menv, Object: ObjectWABA, Reason: "decoding message: " + err.Error()})
			continue
		}
		evs = append(evs, convertMessage(menv, v, number, &m))
	}
	for _, raw := range v.Statuses {
		senv := env
		senv.Raw = raw
		var s wireStatus
		if err := json.Unmarshal(raw, &s); err != nil {
			evs = append(evs, &Unknown{Envelope: senv, Object: ObjectWABA, Reason: "decoding status: " + err.Error()})
			continue
		}
		evs = append(evs, convertStatus(senv, number, &s))
	}
	if len(v.Errors) > 0 {
		evs = append(evs, &ErrorEvent{Envelope: env, Number: number, Errors: convertErrors(v.Errors)})
	}
	return evs
}

// matchContact finds the contacts[] item describing the sender of m: by wa_id, then by
// user id, then the only contact when there is just one.
func matchContact(contacts []wireContact, m *wireMessage) *wireContact {
	for i := range contacts {
		c := &contacts[i]
		if m.From.s != "" && c.WaID.s == m.From.s {
			return c
		}
		if uid := m.userID(); uid != "" && c.UserID == uid {
			return c
		}
	}
	if len(contacts) == 1 {
		return &contacts[0]
	}
	return nil
}

func convertMessage(env Envelope, v *wireMessagesValue, number chat.NumberID, m *wireMessage) *Message {
	msg := &Message{
		Envelope:      env,
		DisplayNumber: v.Metadata.DisplayPhoneNumber.s,
		WireType:      m.Type,
		Errors:        convertErrors(m.Errors),
	}
	in := &msg.Inbound
	in.ID = m.ID
	in.Number = number
	in.At = m.Timestamp.t
	in.UserID = m.userID()
	contact := m.From.s
	if c := matchContact(v.Contacts, m); c != nil {
		in.ProfileName = c.Profile.Name
		msg.Username = c.Profile.Username
		msg.ParentUserID = c.ParentUserID
		if contact == "" {
			contact = c.WaID.s
		}
		if in.UserID == "" {
			in.UserID = c.UserID
		}
	}
	if contact == "" {
		contact = in.UserID
	}
	in.Contact = chat.ContactID(contact)

	if m.Context != nil {
		in.ContextID = m.Context.ID
		msg.ContextFrom = m.Context.From.s
		msg.Forwarded = m.Context.Forwarded
		msg.FrequentlyForwarded = m.Context.FrequentlyForwarded
	}
	if r := m.Referral; r != nil {
		msg.Referral = &Referral{
			SourceURL: r.SourceURL, SourceID: r.SourceID.s, SourceType: r.SourceType,
			Headline: r.Headline, Body: r.Body, MediaType: r.MediaType,
			ImageURL: r.ImageURL, VideoURL: r.VideoURL, ThumbnailURL: r.ThumbnailURL,
			CtwaClid: r.CtwaClid, WelcomeText: r.WelcomeMessage.Text,
		}
		in.Referral = r.SourceID.s
	}

	unsupported := func(what string) {
		in.Kind = chat.KindUnsupported
		msg.UnsupportedType = what
		if len(msg.Errors) == 0 {
			msg.Errors = []WebhookError{{
				Code:    codeUnsupportedType,
				Title:   "Message type unknown",
				Details: fmt.Sprintf("wasla does not handle WhatsApp messages of type %q", what),
			}}
		}
	}

	switch m.Type {
	case "text":
		in.Kind = chat.KindText
		in.Text = m.Text.Body
	case "interactive":
		switch m.Interactive.Type {
		case "button_reply":
			in.Kind = chat.KindButtonReply
			in.ReplyID = m.Interactive.ButtonReply.ID
			in.Text = m.Interactive.ButtonReply.Title
		case "list_reply":
			in.Kind = chat.KindListReply
			in.ReplyID = m.Interactive.ListReply.ID
			in.Text = m.Interactive.ListReply.Title
			msg.ReplyDescription = m.Interactive.ListReply.Description
		default:
			unsupported("interactive/" + m.Interactive.Type)
		}
	case "button":
		in.Kind = chat.KindButtonReply
		in.ReplyID = m.Button.Payload
		in.Text = m.Button.Text
		msg.QuickReply = true
	case "image", "audio", "video", "document", "sticker":
		media := m.media()
		if media == nil {
			unsupported(m.Type + " without media object")
			break
		}
		in.Kind = chat.Kind(m.Type)
		in.Media = &chat.Media{
			ID: media.ID.s, URL: media.URL, MimeType: media.MimeType,
			Caption: media.Caption, Filename: media.Filename,
		}
		in.Text = media.Caption
		msg.MediaSHA256 = media.SHA256
		msg.Voice = media.Voice
		msg.Animated = media.Animated
	case "location":
		in.Kind = chat.KindLocation
		in.Location = &chat.Location{
			Latitude: m.Location.Latitude.f, Longitude: m.Location.Longitude.f,
			Name: m.Location.Name, Address: m.Location.Address,
		}
		in.Text = m.Location.Name
		msg.LocationURL = m.Location.URL
	case "contacts":
		in.Kind = chat.KindContacts
		names := make([]string, 0, len(m.Contacts))
		for _, c := range m.Contacts {
			sc := SharedContact{
				FormattedName: c.Name.FormattedName, FirstName: c.Name.FirstName,
				LastName: c.Name.LastName, Organization: c.Org.Company,
			}
			for _, p := range c.Phones {
				sc.Phones = append(sc.Phones, ContactPhone{Phone: p.Phone, WaID: p.WaID.s, Type: p.Type})
			}
			for _, e := range c.Emails {
				sc.Emails = append(sc.Emails, e.Email)
			}
			msg.Contacts = append(msg.Contacts, sc)
			if sc.FormattedName != "" {
				names = append(names, sc.FormattedName)
			}
		}
		in.Text = strings.Join(names, ", ")
	case "reaction":
		in.Kind = chat.KindReaction
		in.Text = m.Reaction.Emoji
		in.ContextID = m.Reaction.MessageID
		msg.Reaction = &Reaction{
			MessageID: m.Reaction.MessageID,
			Emoji:     m.Reaction.Emoji,
			Removed:   m.Reaction.Emoji == "",
		}
	case "system":
		unsupported("system/" + m.System.Type)
		msg.System = &System{
			Type: m.System.Type, Body: m.System.Body, NewWaID: m.System.WaID.s,
			UserID: m.System.UserID, PreviousUserID: m.System.PreviousUserID,
		}
	case "unsupported":
		what := m.Unsupported.Type
		if what == "" {
			what = "unsupported"
		}
		unsupported(what)
	case "":
		unsupported("(no type)")
	default:
		unsupported(m.Type)
	}
	return msg
}

// codeUnsupportedType is Meta's "Message type unknown" code, reused for the types this
// package does not handle so that callers see one code for both.
const codeUnsupportedType = 131051

func convertStatus(env Envelope, number chat.NumberID, s *wireStatus) *Status {
	st := &Status{
		Envelope:        env,
		MessageID:       s.ID,
		Status:          DeliveryStatus(s.Status),
		Number:          number,
		Recipient:       chat.ContactID(s.RecipientID.s),
		RecipientUserID: s.RecipientUserID,
		At:              s.Timestamp.t,
		CallbackData:    s.BizOpaqueCallbackData,
		Errors:          convertErrors(s.Errors),
	}
	if c := s.Conversation; c != nil {
		st.Conversation = &Conversation{ID: c.ID, Expiration: c.ExpirationTimestamp.t, Origin: c.Origin.Type}
	}
	if p := s.Pricing; p != nil {
		st.Pricing = &Pricing{Billable: p.Billable, PricingModel: p.PricingModel, Type: p.Type, Category: p.Category}
	}
	return st
}

func convertErrors(ws []wireError) []WebhookError {
	if len(ws) == 0 {
		return nil
	}
	out := make([]WebhookError, len(ws))
	for i, w := range ws {
		out[i] = WebhookError{Code: w.Code, Title: w.Title, Message: w.Message, Details: w.ErrorData.Details, Href: w.Href}
	}
	return out
}

// Wire types: only the keys wasla reads. Values Meta documents as strings are sometimes
// numbers in older or test payloads (and the reverse), so ids, timestamps and coordinates
// accept both.

type wireEnvelope struct {
	Object string      `json:"object"`
	Entry  []wireEntry `json:"entry"`
}

type wireEntry struct {
	ID      string       `json:"id"`
	Time    unixTime     `json:"time"`
	Changes []wireChange `json:"changes"`
}

type wireChange struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

type wirePreferencesValue struct {
	Metadata struct {
		PhoneNumberID lenientString `json:"phone_number_id"`
	} `json:"metadata"`
	UserPreferences []struct {
		WaID      lenientString `json:"wa_id"`
		Detail    string        `json:"detail"`
		Category  string        `json:"category"`
		Value     string        `json:"value"`
		Timestamp unixTime      `json:"timestamp"`
	} `json:"user_preferences"`
}

type wireMessagesValue struct {
	Metadata struct {
		DisplayPhoneNumber lenientString `json:"display_phone_number"`
		PhoneNumberID      lenientString `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []wireContact     `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
	Errors   []wireError       `json:"errors"`
}

type wireContact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
	WaID         lenientString `json:"wa_id"`
	UserID       string        `json:"user_id"`
	ParentUserID string        `json:"parent_user_id"`
}

type wireError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	Href      string `json:"href"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

type wireMedia struct {
	ID       lenientString `json:"id"`
	URL      string        `json:"url"`
	MimeType string        `json:"mime_type"`
	SHA256   string        `json:"sha256"`
	Caption  string        `json:"caption"`
	Filename string        `json:"filename"`
	Voice    bool          `json:"voice"`
	Animated bool          `json:"animated"`
}

type wireMessage struct {
	From       lenientString `json:"from"`
	FromUserID string        `json:"from_user_id"`
	UserID     string        `json:"user_id"`
	ID         string        `json:"id"`
	Timestamp  unixTime      `json:"timestamp"`
	Type       string        `json:"type"`
	Context    *struct {
		From                lenientString `json:"from"`
		ID                  string        `json:"id"`
		Forwarded           bool          `json:"forwarded"`
		FrequentlyForwarded bool          `json:"frequently_forwarded"`
	} `json:"context"`
	Referral *struct {
		SourceURL      string        `json:"source_url"`
		SourceID       lenientString `json:"source_id"`
		SourceType     string        `json:"source_type"`
		Headline       string        `json:"headline"`
		Body           string        `json:"body"`
		MediaType      string        `json:"media_type"`
		ImageURL       string        `json:"image_url"`
		VideoURL       string        `json:"video_url"`
		ThumbnailURL   string        `json:"thumbnail_url"`
		CtwaClid       string        `json:"ctwa_clid"`
		WelcomeMessage struct {
			Text string `json:"text"`
		} `json:"welcome_message"`
	} `json:"referral"`
	Errors []wireError `json:"errors"`

	Text struct {
		Body string `json:"body"`
	} `json:"text"`
	Interactive struct {
		Type        string `json:"type"`
		ButtonReply struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"button_reply"`
		ListReply struct {
			ID          string `json:"id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"list_reply"`
	} `json:"interactive"`
	Button struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Image    *wireMedia `json:"image"`
	Audio    *wireMedia `json:"audio"`
	Video    *wireMedia `json:"video"`
	Document *wireMedia `json:"document"`
	Sticker  *wireMedia `json:"sticker"`
	Location struct {
		Latitude  lenientFloat `json:"latitude"`
		Longitude lenientFloat `json:"longitude"`
		Name      string       `json:"name"`
		Address   string       `json:"address"`
		URL       string       `json:"url"`
	} `json:"location"`
	Contacts []struct {
		Name struct {
			FormattedName string `json:"formatted_name"`
			FirstName     string `json:"first_name"`
			LastName      string `json:"last_name"`
		} `json:"name"`
		Phones []struct {
			Phone string        `json:"phone"`
			WaID  lenientString `json:"wa_id"`
			Type  string        `json:"type"`
		} `json:"phones"`
		Emails []struct {
			Email string `json:"email"`
		} `json:"emails"`
		Org struct {
			Company string `json:"company"`
		} `json:"org"`
	} `json:"contacts"`
	Reaction struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	System struct {
		Body           string        `json:"body"`
		Type           string        `json:"type"`
		WaID           lenientString `json:"wa_id"`
		UserID         string        `json:"user_id"`
		PreviousUserID string        `json:"previous_user_id"`
	} `json:"system"`
	Unsupported struct {
		Type string `json:"type"`
	} `json:"unsupported"`
}

func (m *wireMessage) userID() string {
	if m.FromUserID != "" {
		return m.FromUserID
	}
	return m.UserID
}

func (m *wireMessage) media() *wireMedia {
	switch m.Type {
	case "image":
		return m.Image
	case "audio":
		return m.Audio
	case "video":
		return m.Video
	case "document":
		return m.Document
	case "sticker":
		return m.Sticker
	}
	return nil
}

type wireStatus struct {
	ID                    string        `json:"id"`
	Status                string        `json:"status"`
	Timestamp             unixTime      `json:"timestamp"`
	RecipientID           lenientString `json:"recipient_id"`
	RecipientUserID       string        `json:"recipient_user_id"`
	BizOpaqueCallbackData string        `json:"biz_opaque_callback_data"`
	Conversation          *struct {
		ID                  string   `json:"id"`
		ExpirationTimestamp unixTime `json:"expiration_timestamp"`
		Origin              struct {
			Type string `json:"type"`
		} `json:"origin"`
	} `json:"conversation"`
	Pricing *struct {
		Billable     *bool  `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Type         string `json:"type"`
		Category     string `json:"category"`
	} `json:"pricing"`
	Errors []wireError `json:"errors"`
}

// seconds turns a call duration into whole seconds; a value no call can have is 0.
func seconds(f float64) int {
	if f < 0 || f > 1e7 {
		return 0
	}
	return int(f)
}

type wireCallsValue struct {
	Metadata struct {
		DisplayPhoneNumber lenientString `json:"display_phone_number"`
		PhoneNumberID      lenientString `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts []wireContact     `json:"contacts"`
	Calls    []json.RawMessage `json:"calls"`
	Statuses []json.RawMessage `json:"statuses"`
	Errors   []wireError       `json:"errors"`
}

type wireCall struct {
	ID                    string        `json:"id"`
	From                  lenientString `json:"from"`
	To                    lenientString `json:"to"`
	Event                 string        `json:"event"`
	Direction             string        `json:"direction"`
	Timestamp             unixTime      `json:"timestamp"`
	Status                string        `json:"status"`
	StartTime             unixTime      `json:"start_time"`
	EndTime               unixTime      `json:"end_time"`
	Duration              lenientFloat  `json:"duration"`
	BizOpaqueCallbackData string        `json:"biz_opaque_callback_data"`
}

type wireQualityValue struct {
	DisplayPhoneNumber               lenientString `json:"display_phone_number"`
	Event                            string        `json:"event"`
	CurrentLimit                     string        `json:"current_limit"`
	OldLimit                         string        `json:"old_limit"`
	MaxDailyConversationsPerBusiness string        `json:"max_daily_conversations_per_business"`
}

type wireAccountValue struct {
	Event           string        `json:"event"`
	PhoneNumber     lenientString `json:"phone_number"`
	RestrictionInfo []struct {
		RestrictionType string   `json:"restriction_type"`
		Expiration      unixTime `json:"expiration"`
	} `json:"restriction_info"`
	ViolationInfo struct {
		ViolationType string `json:"violation_type"`
	} `json:"violation_info"`
	BanInfo struct {
		WabaBanState string        `json:"waba_ban_state"`
		WabaBanDate  lenientString `json:"waba_ban_date"`
	} `json:"ban_info"`
}

type wireTemplateCategoryValue struct {
	MessageTemplateID       lenientString `json:"message_template_id"`
	MessageTemplateName     string        `json:"message_template_name"`
	MessageTemplateLanguage string        `json:"message_template_language"`
	PreviousCategory        string        `json:"previous_category"`
	NewCategory             string        `json:"new_category"`
	CorrectCategory         string        `json:"correct_category"`
	CategoryUpdateTimestamp unixTime      `json:"category_update_timestamp"`
}

type wireTemplateValue struct {
	Event                   string        `json:"event"`
	MessageTemplateID       lenientString `json:"message_template_id"`
	MessageTemplateName     string        `json:"message_template_name"`
	MessageTemplateLanguage string        `json:"message_template_language"`
	Reason                  lenientString `json:"reason"`
	MessageTemplateCategory string        `json:"message_template_category"`
	DisableInfo             struct {
		DisableDate lenientString `json:"disable_date"`
	} `json:"disable_info"`
	OtherInfo struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"other_info"`
	RejectionInfo struct {
		Reason         string `json:"reason"`
		Recommendation string `json:"recommendation"`
	} `json:"rejection_info"`
}

// unixTime decodes Unix seconds given as a JSON string ("1749416383") or number. Anything
// else decodes to the zero time rather than failing the item: a bad timestamp must not
// lose a message.
type unixTime struct{ t time.Time }

func (u *unixTime) UnmarshalJSON(b []byte) error {
	if n, ok := unixSeconds(bytes.Trim(b, `"`)); ok {
		u.t = time.Unix(n, 0).UTC()
	}
	return nil
}

// unixSeconds reads decimal digits as seconds after the epoch (at most 1<<40, which
// rules out milliseconds and overflow), without the allocation of a string for
// strconv: every message and status carries one.
func unixSeconds(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 13 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0 && n < 1<<40
}

// lenientString decodes a JSON string, or the literal text of a number, bool or null
// (null is empty). Objects and arrays are a shape error.
type lenientString struct{ s string }

func (l *lenientString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		l.s = ""
		return nil
	case b[0] == '"':
		// Most strings hold no escapes: take their bytes as they are rather than run a
		// decoder over each one (a webhook carries a dozen of them).
		if len(b) >= 2 && b[len(b)-1] == '"' {
			if in := b[1 : len(b)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
				l.s = string(in)
				return nil
			}
		}
		return json.Unmarshal(b, &l.s)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("want a string, got %.20s", b)
	}
	l.s = string(b)
	return nil
}

// lenientFloat decodes a JSON number or a string holding one; anything else is 0.
type lenientFloat struct{ f float64 }

func (l *lenientFloat) UnmarshalJSON(b []byte) error {
	if f, err := strconv.ParseFloat(string(bytes.Trim(b, `"`)), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		l.f = f
	}
	return nil
}
