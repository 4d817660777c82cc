package flows

import (
	"sync"
	"time"
)

// ShapeKind names what kind of YAML value a key accepts.
type ShapeKind int

// Shape kinds. The scalar kinds differ in how the loader reads them; the schema maps each
// to a JSON type with a pattern where one exists.
const (
	ShapeString    ShapeKind = iota // plain text, taken as written (numbers read as their text)
	ShapeText                       // text with {{ expression }} parts
	ShapeExpr                       // an expression of any type
	ShapeBoolExpr                   // an expression that must give a bool
	ShapeTarget                     // a step id, a flow name or flow.step
	ShapeFlowName                   // a flow name
	ShapeStepID                     // a step id
	ShapeIdent                      // a variable name
	ShapeSetTarget                  // what a set step may write: a variable or a contact field
	ShapeDuration                   // Go duration syntax plus days: 30s, 15m, 2h, 1d12h
	ShapeRegex                      // a Go regular expression
	ShapeInt                        // a whole number
	ShapeBool                       // true or false
	ShapeObject                     // a mapping with the keys in Fields
	ShapeList                       // a sequence of Elem
	ShapeMap                        // a mapping with free keys (KeyShape) and Elem values
	ShapeAny                        // any YAML value (an http body mapping)
	ShapeOneOf                      // one of Alts, chosen by the YAML node's kind
)

// Shape describes the value a key accepts: its kind, what it contains and its limits. The
// loader checks YAML against shapes (unknown keys, types, lengths, counts) and the schema
// generator turns the same shapes into JSON Schema, so the two cannot disagree.
type Shape struct {
	Kind ShapeKind
	// Def names a shared shape; the schema puts it under definitions and refers to it.
	Def string
	// What names the construct in messages ("buttons step", "list row").
	What string
	Doc  string

	Fields []*Field // ShapeObject, in documented order
	Elem   *Shape   // ShapeList and ShapeMap values
	Key    *Shape   // ShapeMap keys (a scalar shape); nil: any text
	Alts   []*Shape // ShapeOneOf: at most one scalar, one list and one mapping alternative
	Const  any      // the only value allowed (fallback: true)
	Enum   []string // the values allowed
	MinLen int      // in characters (runes), for scalar texts
	MaxLen int      // in characters (runes); for ShapeText only the literal parts count
	Min    *int     // ShapeInt
	Max    *int     // ShapeInt
	MaxDur time.Duration
	// MinItems and MaxItems bound lists and maps (0: no bound).
	MinItems, MaxItems int
	// ExactlyOne lists keys of which a mapping must hold exactly one (http methods,
	// media sources, rows or sections).
	ExactlyOne []string
	// Requires says that a key needs others beside it (media id needs kind).
	Requires map[string][]string
}

// Field is one key of a mapping.
type Field struct {
	Name     string
	Shape    *Shape
	Required bool
	Doc      string
	// KindKey marks the key that names a step or trigger kind.
	KindKey bool
}

// Definitions are the whole flow-file format: the single source of truth for the loader's
// key checks and for schema/flow.schema.json.
type Definitions struct {
	Flow     *Shape   // a file with a top-level flow:
	Settings *Shape   // a file with a top-level settings:
	Triggers []*Shape // one object shape per trigger kind; its KindKey field names it
	Steps    []*Shape // one object shape per step kind
}

// FormatDefinitions returns the flow-file format. The value is shared and must not be
// changed.
func FormatDefinitions() *Definitions { return formatDefs() }

var formatDefs = sync.OnceValue(buildDefinitions)

// Limits of the WhatsApp Cloud API, in characters.
const (
	maxTextLen         = 4096
	maxButtonBodyLen   = 1024
	maxHeaderLen       = 60
	maxFooterLen       = 60
	maxButtons         = 3
	maxButtonTitleLen  = 20
	maxButtonIDLen     = 256
	maxListRows        = 10
	maxListSections    = 10
	maxRowTitleLen     = 24
	maxRowDescLen      = 72
	maxRowIDLen        = 200
	maxListButtonLen   = 20
	maxSectionTitleLen = 24
	maxTemplateParam   = 1024
	maxCaptionLen      = 1024
	maxHTTPTimeout     = 30 * time.Second
)

func intp(n int) *int { return &n }

func buildDefinitions() *Definitions {
	str := func(doc string) *Shape { return &Shape{Kind: ShapeString, Doc: doc} }
	text := func(max int, doc string) *Shape { return &Shape{Kind: ShapeText, MaxLen: max, Doc: doc} }
	target := &Shape{Kind: ShapeTarget, Def: "target",
		Doc: "Where to continue: a step id of this flow, a flow name (its first step), or flow.step."}
	flowName := &Shape{Kind: ShapeFlowName, Def: "flow_name",
		Doc: "A flow name: lower-case letters, digits, _ and -."}
	stepID := &Shape{Kind: ShapeStepID, Def: "step_id",
		Doc: "A step id: letters, digits, _ and -; unique in the flow."}
	ident := &Shape{Kind: ShapeIdent, Def: "variable",
		Doc: "A variable name (letters, digits and _, not starting with a digit); read back as vars.<name>."}
	setTarget := &Shape{Kind: ShapeSetTarget, Def: "set_target",
		Doc: "A variable name (read back as vars.<name>), or contact.name, contact.language or contact.attrs.<key>, which stay with the contact across conversations."}
	duration := &Shape{Kind: ShapeDuration, Def: "duration",
		Doc: "A duration: Go syntax plus days, e.g. 30s, 15m, 2h, 1d, 1d12h."}
	expr := &Shape{Kind: ShapeExpr, Def: "expression",
		Doc: "An expression (expr-lang) over message, contact, vars, session, number, campaign, now, open."}
	boolExpr := &Shape{Kind: ShapeBoolExpr, Def: "bool_expression",
		Doc: "An expression (expr-lang) that gives true or false."}
	words := func(doc string) *Shape {
		return &Shape{Kind: ShapeList, Elem: &Shape{Kind: ShapeString, MinLen: 1}, Doc: doc}
	}
	ids := func(doc string) *Shape {
		return &Shape{Kind: ShapeOneOf, Doc: doc, Alts: []*Shape{
			{Kind: ShapeString, MinLen: 1},
			{Kind: ShapeList, MinItems: 1, Elem: &Shape{Kind: ShapeString, MinLen: 1}},
		}}
	}

	// Keys shared by every step; goto, end and handoff steps never continue, so they take
	// no next.
	idField := &Field{Name: "id", Shape: stepID, Doc: "The step's id, for targets; default <kind>_<n> (n counts from 1)."}
	nextField := &Field{Name: "next", Shape: target, Doc: "Where to continue after this step instead of the following step."}

	waitingFields := func(saveDoc string) []*Field {
		return []*Field{
			{Name: "save", Shape: ident, Doc: saveDoc},
			{Name: "retry", Shape: text(maxTextLen, ""), Doc: "Text sent when the answer is not one of the choices; default: the message again."},
			{Name: "max_retries", Shape: &Shape{Kind: ShapeInt, Min: intp(0), Max: intp(100)}, Doc: "Wrong answers allowed before on_fail (default 2)."},
			{Name: "on_fail", Shape: target, Doc: "Where to go after max_retries wrong answers; default: the step's continuation."},
			{Name: "timeout", Shape: duration, Doc: "How long to wait for an answer."},
			{Name: "on_timeout", Shape: target, Doc: "Where to go when the timeout passes; default: the conversation ends quietly."},
		}
	}

	choice := &Shape{Kind: ShapeObject, Def: "button", What: "button", Doc: "A reply button.", Fields: []*Field{
		{Name: "id", Shape: &Shape{Kind: ShapeString, MinLen: 1, MaxLen: maxButtonIDLen}, Required: true, Doc: "The id the press reports (at most 256 characters); saved by save."},
		{Name: "title", Shape: text(maxButtonTitleLen, ""), Required: true, Doc: "The button's title (at most 20 characters); typed text equal to it counts as a press."},
		{Name: "goto", Shape: target, Doc: "Where to continue when this button is pressed."},
	}}
	row := &Shape{Kind: ShapeObject, Def: "row", What: "list row", Doc: "A list row.", Fields: []*Field{
		{Name: "id", Shape: &Shape{Kind: ShapeString, MinLen: 1, MaxLen: maxRowIDLen}, Required: true, Doc: "The id the choice reports (at most 200 characters); saved by save."},
		{Name: "title", Shape: text(maxRowTitleLen, ""), Required: true, Doc: "The row's title (at most 24 characters)."},
		{Name: "description", Shape: text(maxRowDescLen, ""), Doc: "A line under the title (at most 72 characters)."},
		{Name: "goto", Shape: target, Doc: "Where to continue when this row is chosen."},
	}}
	rows := &Shape{Kind: ShapeList, Elem: row, MinItems: 1, MaxItems: maxListRows}
	section := &Shape{Kind: ShapeObject, Def: "section", What: "list section", Doc: "A titled group of list rows.", Fields: []*Field{
		{Name: "title", Shape: text(maxSectionTitleLen, ""), Doc: "The section's title (at most 24 characters); needed when the list has several sections."},
		{Name: "rows", Shape: rows, Required: true, Doc: "The section's rows; at most 10 rows in the whole list."},
	}}
	templateMsg := &Shape{Kind: ShapeObject, Def: "template_message", What: "template", Doc: "An approved WhatsApp template.", Fields: []*Field{
		{Name: "name", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Required: true, Doc: "The template's name as approved by WhatsApp."},
		{Name: "language", Shape: &Shape{Kind: ShapeString, MinLen: 2}, Required: true, Doc: "The template's language code, e.g. ar or en_US."},
		{Name: "params", Shape: &Shape{Kind: ShapeList, Elem: text(maxTemplateParam, "")}, Doc: "Body parameters {{1}}, {{2}}, ... in order; each at most 1024 characters."},
	}}
	mediaURL := func(kind string) *Field {
		return &Field{Name: kind, Shape: text(0, ""), Doc: "The " + kind + "'s link (https URL)."}
	}
	mediaMsg := &Shape{Kind: ShapeObject, Def: "media_message", What: "media", Doc: "Media sent by link or by uploaded media id.",
		ExactlyOne: []string{"image", "video", "audio", "document", "sticker", "id"},
		Requires:   map[string][]string{"id": {"kind"}, "kind": {"id"}},
		Fields: []*Field{
			mediaURL("image"), mediaURL("video"), mediaURL("audio"), mediaURL("document"), mediaURL("sticker"),
			{Name: "id", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Doc: "An uploaded media id (needs kind)."},
			{Name: "kind", Shape: &Shape{Kind: ShapeString, Enum: []string{"image", "video", "audio", "document", "sticker"}}, Doc: "The kind of the media id."},
			{Name: "caption", Shape: text(maxCaptionLen, ""), Doc: "A caption (at most 1024 characters); not for audio or stickers."},
			{Name: "filename", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Doc: "The file name shown for a document."},
		}}
	waitUntil := &Shape{Kind: ShapeObject, Def: "wait_until", What: "wait", Doc: "Wait until a moment.", Fields: []*Field{
		{Name: "until", Shape: expr, Required: true, Doc: "An expression that gives the time to continue at, such as parse_date(vars.date) - duration(\"14h\"); a time already past continues at once."},
	}}
	handoff := &Shape{Kind: ShapeObject, Def: "handoff", What: "handoff", Doc: "A hand-off to a human queue.", Fields: []*Field{
		{Name: "queue", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Required: true, Doc: "The queue of agents that takes the conversation."},
		{Name: "say", Shape: text(maxTextLen, ""), Doc: "Text sent to the contact before the hand-off."},
		{Name: "return_after", Shape: duration, Doc: "Give the conversation back to the bot after this long with no agent reply (default: never)."},
	}}
	httpMethod := func(m string) *Field {
		return &Field{Name: m, Shape: text(0, ""), Doc: "Send an HTTP " + upper(m) + " to this URL."}
	}
	httpCall := &Shape{Kind: ShapeObject, Def: "http_request", What: "http request", Doc: "An HTTP request; exactly one method key holds the URL.",
		ExactlyOne: []string{"get", "post", "put", "patch", "delete"},
		Fields: []*Field{
			httpMethod("get"), httpMethod("post"), httpMethod("put"), httpMethod("patch"), httpMethod("delete"),
			{Name: "headers", Shape: &Shape{Kind: ShapeMap, Elem: text(0, "")}, Doc: "Request headers; values may hold {{ expressions }}."},
			{Name: "body", Shape: &Shape{Kind: ShapeOneOf, Alts: []*Shape{text(0, ""), {Kind: ShapeAny}}},
				Doc: "The request body: JSON text, or a mapping sent as JSON; texts may hold {{ expressions }}."},
			{Name: "timeout", Shape: &Shape{Kind: ShapeDuration, MaxDur: maxHTTPTimeout}, Doc: "How long to wait for the answer (default settings.http_timeout, at most 30s)."},
		}}

	step := func(kind string, kindShape *Shape, doc string, extra ...*Field) *Shape {
		fields := []*Field{{Name: kind, Shape: kindShape, Required: true, KindKey: true, Doc: doc}, idField}
		if kind != "goto" && kind != "end" && kind != "handoff" {
			fields = append(fields, nextField)
		}
		fields = append(fields, extra...)
		return &Shape{Kind: ShapeObject, Def: "step_" + kind, What: kind + " step", Doc: doc, Fields: fields}
	}
	steps := []*Shape{
		step("say", text(maxTextLen, ""), "Send a text (at most 4096 characters) with {{ expressions }}."),
		step("buttons", text(maxButtonBodyLen, ""), "Send up to three reply buttons under this text (at most 1024 characters); waits for a press when a button has goto or save is set.",
			append([]*Field{
				{Name: "options", Shape: &Shape{Kind: ShapeList, Elem: choice, MinItems: 1, MaxItems: maxButtons}, Required: true, Doc: "The buttons, 1 to 3."},
				{Name: "header", Shape: text(maxHeaderLen, ""), Doc: "A header line (at most 60 characters)."},
				{Name: "footer", Shape: text(maxFooterLen, ""), Doc: "A footer line (at most 60 characters)."},
			}, waitingFields("Variable that receives the pressed button's id.")...)...),
		step("list", text(maxTextLen, ""), "Send a list message with this text; waits for a choice when a row has goto or save is set.",
			append([]*Field{
				{Name: "button", Shape: text(maxListButtonLen, ""), Required: true, Doc: "The label of the button that opens the list (at most 20 characters)."},
				{Name: "rows", Shape: rows, Doc: "The rows (at most 10); or use sections."},
				{Name: "sections", Shape: &Shape{Kind: ShapeList, Elem: section, MinItems: 1, MaxItems: maxListSections}, Doc: "Titled groups of rows (at most 10 rows in all); or use rows."},
				{Name: "header", Shape: text(maxHeaderLen, ""), Doc: "A header line (at most 60 characters)."},
				{Name: "footer", Shape: text(maxFooterLen, ""), Doc: "A footer line (at most 60 characters)."},
			}, waitingFields("Variable that receives the chosen row's id.")...)...),
		step("template", templateMsg, "Send an approved WhatsApp template."),
		step("media", mediaMsg, "Send an image, video, audio, document or sticker."),
		step("ask", text(maxTextLen, ""), "Send a question and wait for the answer, visible as answer.",
			&Field{Name: "save", Shape: ident, Required: true, Doc: "Variable that receives the answer."},
			&Field{Name: "validate", Shape: boolExpr, Doc: "A bool expression over answer; false asks again."},
			&Field{Name: "value", Shape: expr, Doc: "An expression over answer whose value is saved instead of the answer."},
			&Field{Name: "retry", Shape: text(maxTextLen, ""), Doc: "Text sent after an invalid answer; default: the question again."},
			&Field{Name: "max_retries", Shape: &Shape{Kind: ShapeInt, Min: intp(0), Max: intp(100)}, Doc: "Invalid answers allowed after the first before on_fail (default 2)."},
			&Field{Name: "on_fail", Shape: target, Doc: "Where to go after max_retries invalid answers; default: the step's continuation."},
			&Field{Name: "timeout", Shape: duration, Doc: "How long to wait for an answer."},
			&Field{Name: "on_timeout", Shape: target, Doc: "Where to go when the timeout passes; default: the conversation ends quietly."},
			&Field{Name: "media", Shape: &Shape{Kind: ShapeBool}, Doc: "Accept a media message as the answer (its media id is saved)."},
		),
		step("set", &Shape{Kind: ShapeMap, Key: setTarget, Elem: expr, MinItems: 1}, "Evaluate each expression, in order, into vars or contact fields."),
		step("if", boolExpr, "Branch on a bool expression.",
			&Field{Name: "then", Shape: target, Doc: "Where to go when the condition is true; default: the step's continuation."},
			&Field{Name: "else", Shape: target, Doc: "Where to go when the condition is false; default: the step's continuation."},
		),
		step("switch", expr, "Compare the expression's value, as folded text, with each case.",
			&Field{Name: "cases", Shape: &Shape{Kind: ShapeMap, Elem: target, MinItems: 1}, Required: true, Doc: "value: target pairs, tried in order."},
			&Field{Name: "default", Shape: target, Doc: "Where to go when no case matches; default: the step's continuation."},
		),
		step("goto", target, "Jump to a step or a flow."),
		step("call", flowName, "Run a flow, then continue after this step."),
		step("wait", &Shape{Kind: ShapeOneOf, Alts: []*Shape{duration, waitUntil}},
			"Pause for a duration, or until a moment ({until: expression}); the flow continues when the timer fires."),
		step("handoff", &Shape{Kind: ShapeOneOf, Alts: []*Shape{{Kind: ShapeString, MinLen: 1}, handoff}},
			"Hand the conversation to a human queue (a queue name or a mapping); the bot stays silent until it returns."),
		step("tag", ids(""), "Add tags to the contact."),
		step("untag", ids(""), "Remove tags from the contact."),
		step("http", httpCall, "Call an HTTP endpoint; a JSON answer is saved, a failure goes to on_error.",
			&Field{Name: "save", Shape: ident, Doc: "Variable that receives the answer; <save>_error describes a failure."},
			&Field{Name: "on_error", Shape: target, Doc: "Where to go on a transport error, timeout or non-2xx status."},
		),
		step("end", &Shape{Kind: ShapeOneOf, Alts: []*Shape{{Kind: ShapeBool, Const: true}, text(maxTextLen, "")}},
			"End the conversation: true, or a closing text."),
	}

	for _, st := range steps {
		if st.kindKey() == "list" {
			st.ExactlyOne = []string{"rows", "sections"}
		}
	}

	priority := &Field{Name: "priority", Shape: &Shape{Kind: ShapeInt}, Doc: "Overrides the flow's priority for this trigger; higher is tried first."}
	trigger := func(kind string, kindShape *Shape, doc string, extra ...*Field) *Shape {
		fields := append([]*Field{{Name: kind, Shape: kindShape, Required: true, KindKey: true, Doc: doc}, priority}, extra...)
		return &Shape{Kind: ShapeObject, Def: "trigger_" + kind, What: kind + " trigger", Doc: doc, Fields: fields}
	}
	triggers := []*Shape{
		trigger("keywords", &Shape{Kind: ShapeOneOf, Alts: []*Shape{{Kind: ShapeString, MinLen: 1}, {Kind: ShapeList, MinItems: 1, Elem: &Shape{Kind: ShapeString, MinLen: 1}}}},
			"Start when the folded message text holds one of these keywords.",
			&Field{Name: "match", Shape: &Shape{Kind: ShapeString, Enum: []string{"word", "exact", "start"}},
				Doc: "word (default): the keyword occurs as whole words; exact: the whole message; start: the message starts with it."}),
		trigger("regex", &Shape{Kind: ShapeRegex, MinLen: 1}, "Start when this Go regular expression matches the message text (digits folded to ASCII)."),
		trigger("button", ids(""), "Start when a reply button with this id (or one of these ids) is pressed."),
		trigger("list", ids(""), "Start when a list row with this id (or one of these ids) is chosen."),
		trigger("when", boolExpr, "Start when this bool expression is true."),
		trigger("campaign", &Shape{Kind: ShapeString, MinLen: 1}, "Start when a message answers this campaign."),
		trigger("fallback", &Shape{Kind: ShapeBool, Const: true}, "Start when no other trigger matched (at most one per set)."),
	}

	stepList := &Shape{Kind: ShapeOneOf, Def: "step", Doc: "A step: a mapping with exactly one kind key.", Alts: steps}
	triggerList := &Shape{Kind: ShapeOneOf, Def: "trigger", Doc: "A trigger: a mapping with exactly one kind key.", Alts: triggers}

	flow := &Shape{Kind: ShapeObject, Def: "flow_file", What: "flow file", Doc: "A flow: its triggers and its steps.", Fields: []*Field{
		{Name: "flow", Shape: flowName, Required: true, Doc: "The flow's name, unique in the set: lower-case letters, digits, _ and -."},
		{Name: "description", Shape: str(""), Doc: "What the flow is for."},
		{Name: "priority", Shape: &Shape{Kind: ShapeInt}, Doc: "Default priority of this flow's triggers (default 0); higher is tried first."},
		{Name: "triggers", Shape: &Shape{Kind: ShapeList, Elem: triggerList}, Doc: "What starts the flow; without triggers it is reached by goto or call only."},
		{Name: "steps", Shape: &Shape{Kind: ShapeList, Elem: stepList, MinItems: 1}, Required: true, Doc: "The steps, run in order."},
	}}
	settingsObj := &Shape{Kind: ShapeObject, Def: "settings", What: "settings", Doc: "Set-wide options.", Fields: []*Field{
		{Name: "timezone", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Doc: "IANA time zone of now and business hours, e.g. Asia/Riyadh (default UTC)."},
		{Name: "business_hours", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Doc: "Opening hours read by open, e.g. \"sun-thu 09:00-17:00; sat 10:00-14:00\"."},
		{Name: "restart_words", Shape: words(""), Doc: "Words that restart the conversation at restart_flow (default menu, القائمة)."},
		{Name: "restart_flow", Shape: flowName, Doc: "The flow restart words start (default: the flow with the fallback trigger)."},
		{Name: "opt_out_words", Shape: words(""), Doc: "Words that opt the contact out (default stop, إلغاء, الغاء)."},
		{Name: "opt_out_reply", Shape: str(""), Doc: "Confirmation sent once on opting out (default: a short text in Arabic and English that says how to resume)."},
		{Name: "opt_in_words", Shape: words(""), Doc: "Words that lift an opt-out (default start, ابدأ)."},
		{Name: "opt_in_reply", Shape: str(""), Doc: "Confirmation sent on opting in (default: a welcome back in Arabic and English)."},
		{Name: "burst_window", Shape: duration, Doc: "Messages closer than this are answered once (default 0: off)."},
		{Name: "max_steps", Shape: &Shape{Kind: ShapeInt, Min: intp(1), Max: intp(10000)}, Doc: "Steps run without input before a loop is stopped (default 100)."},
		{Name: "http_timeout", Shape: &Shape{Kind: ShapeDuration, MaxDur: maxHTTPTimeout}, Doc: "Default timeout of http steps (default 5s, at most 30s)."},
		{Name: "question_changed", Shape: str(""), Doc: "Said before asking again a question that a reload changed or removed while the customer was answering it (default: a short apology in Arabic and English)."},
		{Name: "error_reply", Shape: str(""), Doc: "Said when a step fails at run time (default: a short apology in Arabic and English)."},
		{Name: "error_handoff", Shape: &Shape{Kind: ShapeString, MinLen: 1}, Doc: "Queue a conversation is handed to after a run-time error (default: none, the conversation ends)."},
	}}
	settingsFile := &Shape{Kind: ShapeObject, Def: "settings_file", What: "settings file", Doc: "The settings of a flows folder (at most one file per set).", Fields: []*Field{
		{Name: "settings", Shape: settingsObj, Required: true, Doc: "Set-wide options."},
	}}
	return &Definitions{Flow: flow, Settings: settingsFile, Triggers: triggers, Steps: steps}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// field returns the field of an object shape by name.
func (s *Shape) field(name string) *Field {
	for _, f := range s.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// kindKey returns the name of an object shape's kind key, or "".
func (s *Shape) kindKey() string {
	for _, f := range s.Fields {
		if f.KindKey {
			return f.Name
		}
	}
	return ""
}
