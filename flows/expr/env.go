package expr

import "time"

// Env is everything an expression can see. Expressions are compiled against this type, so
// a misspelt field or a wrong type is reported when flows load, not when a customer writes.
// The engine fills one Env per evaluation; expressions cannot change it or do I/O.
type Env struct {
	Message  MessageEnv     `expr:"message"`
	Contact  ContactEnv     `expr:"contact"`
	Vars     map[string]any `expr:"vars"`
	Session  SessionEnv     `expr:"session"`
	Number   string         `expr:"number"`   // id of the business number the message came to
	Campaign string         `expr:"campaign"` // campaign the message answers, or ""
	Now      time.Time      `expr:"now"`      // the engine clock, in the settings' time zone
	Open     bool           `expr:"open"`     // within Settings.BusinessHours at Now
	Answer   string         `expr:"answer"`   // the answer being checked by ask/validate (digits folded to ASCII)
	// Budget bounds each evaluation (time, text size, items); nil: the defaults.
	Budget *Budget `expr:"-"`

	evalStart time.Time // when the running evaluation started, for Budget.Timeout
}

// MessageEnv is the message being handled.
type MessageEnv struct {
	ID       string `expr:"id"`
	Kind     string `expr:"kind"`      // text, button_reply, list_reply, image, ...
	Text     string `expr:"text"`      // as written (caption for media, title for replies)
	Folded   string `expr:"folded"`    // normalize(text): case, diacritics, letter variants, digits folded
	ReplyID  string `expr:"reply_id"`  // id of the pressed button or chosen row
	MediaID  string `expr:"media_id"`  // media messages
	MimeType string `expr:"mime_type"` // media messages
}

// ContactEnv is the contact who wrote.
type ContactEnv struct {
	ID       string            `expr:"id"`
	Name     string            `expr:"name"`
	Language string            `expr:"language"`
	Tags     []string          `expr:"tags"`
	Attrs    map[string]string `expr:"attrs"`
	OptedOut bool              `expr:"opted_out"`
}

// SessionEnv is the state of the conversation.
type SessionEnv struct {
	Flow        string    `expr:"flow"`
	Step        string    `expr:"step"`
	Mode        string    `expr:"mode"` // bot or human
	Retries     int       `expr:"retries"`
	Started     time.Time `expr:"started"`
	LastInbound time.Time `expr:"last_inbound"`
}
