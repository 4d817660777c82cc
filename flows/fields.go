package flows

import (
	"sync"
	"time"

	"github.com/wasla/wasla/yamlfile"
)

// Definitions are the whole flow-file format: the single source of truth for the loader's
// key checks and for schema/flow.schema.json.
type Definitions struct {
	File     *yamlfile.Spec   // a flow file: Flow or Settings, told apart by their keys
	Flow     *yamlfile.Spec   // a file with a top-level flow:
	Settings *yamlfile.Spec   // a file with a top-level settings:
	Triggers []*yamlfile.Spec // one object shape per trigger kind; its KindKey field names it
	Steps    []*yamlfile.Spec // one object shape per step kind
}

// FormatDefinitions returns the flow-file format. The value is shared and must not be
// changed.
func FormatDefinitions() *Definitions { return formatDefs() }

// FormatSpec returns the spec of a flow file (Definitions.File), from which package schema
// writes flow.schema.json.
func FormatSpec() *yamlfile.Spec { return formatDefs().File }

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

func buildDefinitions() *Definitions {
	str := func(doc string) *yamlfile.Spec { return &yamlfile.Spec{Kind: yamlfile.KindString, Doc: doc} }
	text := func(max int, doc string) *yamlfile.Spec {
		return &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extText, MaxLen: max, Doc: doc}
	}
	target := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extTarget, Def: "target",
		Doc: "Where to continue: a step id of this flow, a flow name (its first step), or flow.step."}
	flowName := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extFlowName, Def: "flow_name",
		Doc: "A flow name: lower-case letters, digits, _ and -."}
	stepID := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extStepID, Def: "step_id",
		Doc: "A step id: letters, digits, _ and -; unique in the flow."}
	ident := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extIdent, Def: "variable",
		Doc: "A variable name (letters, digits and _, not starting with a digit); read back as vars.<name>."}
	setTarget := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extSetTarget, Def: "set_target",
		Doc: "A variable name (read back as vars.<name>), or contact.name, contact.language or contact.attrs.<key>, which stay with the contact across conversations."}
	duration := &yamlfile.Spec{Kind: yamlfile.KindDuration, Def: "duration",
		Doc: "A duration: Go syntax plus days, e.g. 30s, 15m, 2h, 1d, 1d12h."}
	expr := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extExpr, Def: "expression",
		Doc: "An expression (expr-lang) over message, contact, vars, session, number, campaign, now, open."}
	boolExpr := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extBoolExpr, Def: "bool_expression",
		Doc: "An expression (expr-lang) that gives true or false."}
	words := func(doc string) *yamlfile.Spec {
		return &yamlfile.Spec{Kind: yamlfile.KindList, Elem: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: doc}
	}
	ids := func(doc string) *yamlfile.Spec {
		return &yamlfile.Spec{Kind: yamlfile.KindOneOf, Doc: doc, Alts: []*yamlfile.Spec{
			{Kind: yamlfile.KindString, MinLen: 1},
			{Kind: yamlfile.KindList, MinItems: 1, Elem: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}},
		}}
	}

	// Keys shared by every step; goto, end and handoff steps never continue, so they take
	// no next.
	idField := &yamlfile.Field{Name: "id", Spec: stepID, Doc: "The step's id, for targets; default <kind>_<n> (n counts from 1)."}
	nextField := &yamlfile.Field{Name: "next", Spec: target, Doc: "Where to continue after this step instead of the following step."}

	waitingFields := func(saveDoc string) []*yamlfile.Field {
		return []*yamlfile.Field{
			{Name: "save", Spec: ident, Doc: saveDoc},
			{Name: "retry", Spec: text(maxTextLen, ""), Doc: "Text sent when the answer is not one of the choices; default: the message again."},
			{Name: "max_retries", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0), Max: yamlfile.IntPtr(100)}, Doc: "Wrong answers allowed before on_fail (default 2)."},
			{Name: "on_fail", Spec: target, Doc: "Where to go after max_retries wrong answers; default: the step's continuation."},
			{Name: "timeout", Spec: duration, Doc: "How long to wait for an answer."},
			{Name: "on_timeout", Spec: target, Doc: "Where to go when the timeout passes; default: the conversation ends quietly."},
		}
	}

	choice := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "button", What: "button", Doc: "A reply button.", Fields: []*yamlfile.Field{
		{Name: "id", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1, MaxLen: maxButtonIDLen}, Required: true, Doc: "The id the press reports (at most 256 characters); saved by save."},
		{Name: "title", Spec: text(maxButtonTitleLen, ""), Required: true, Doc: "The button's title (at most 20 characters); typed text equal to it counts as a press."},
		{Name: "goto", Spec: target, Doc: "Where to continue when this button is pressed."},
	}}
	row := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "row", What: "list row", Doc: "A list row.", Fields: []*yamlfile.Field{
		{Name: "id", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1, MaxLen: maxRowIDLen}, Required: true, Doc: "The id the choice reports (at most 200 characters); saved by save."},
		{Name: "title", Spec: text(maxRowTitleLen, ""), Required: true, Doc: "The row's title (at most 24 characters)."},
		{Name: "description", Spec: text(maxRowDescLen, ""), Doc: "A line under the title (at most 72 characters)."},
		{Name: "goto", Spec: target, Doc: "Where to continue when this row is chosen."},
	}}
	rows := &yamlfile.Spec{Kind: yamlfile.KindList, Elem: row, MinItems: 1, MaxItems: maxListRows}
	section := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "section", What: "list section", Doc: "A titled group of list rows.", Fields: []*yamlfile.Field{
		{Name: "title", Spec: text(maxSectionTitleLen, ""), Doc: "The section's title (at most 24 characters); needed when the list has several sections."},
		{Name: "rows", Spec: rows, Required: true, Doc: "The section's rows; at most 10 rows in the whole list."},
	}}
	templateMsg := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "template_message", What: "template", Doc: "An approved WhatsApp template.", Fields: []*yamlfile.Field{
		{Name: "name", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Doc: "The template's name as approved by WhatsApp."},
		{Name: "language", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 2}, Required: true, Doc: "The template's language code, e.g. ar or en_US."},
		{Name: "params", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: text(maxTemplateParam, "")}, Doc: "Body parameters {{1}}, {{2}}, ... in order; each at most 1024 characters."},
	}}
	mediaURL := func(kind string) *yamlfile.Field {
		return &yamlfile.Field{Name: kind, Spec: text(0, ""), Doc: "The " + kind + "'s link (https URL)."}
	}
	mediaMsg := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "media_message", What: "media", Doc: "Media sent by link or by uploaded media id.",
		ExactlyOne: []string{"image", "video", "audio", "document", "sticker", "id"},
		Requires:   map[string][]string{"id": {"kind"}, "kind": {"id"}},
		Fields: []*yamlfile.Field{
			mediaURL("image"), mediaURL("video"), mediaURL("audio"), mediaURL("document"), mediaURL("sticker"),
			{Name: "id", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "An uploaded media id (needs kind)."},
			{Name: "kind", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"image", "video", "audio", "document", "sticker"}}, Doc: "The kind of the media id."},
			{Name: "caption", Spec: text(maxCaptionLen, ""), Doc: "A caption (at most 1024 characters); not for audio or stickers."},
			{Name: "filename", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "The file name shown for a document."},
		}}
	waitUntil := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "wait_until", What: "wait", Doc: "Wait until a moment.", Fields: []*yamlfile.Field{
		{Name: "until", Spec: expr, Required: true, Doc: "An expression that gives the time to continue at, such as parse_date(vars.date) - duration(\"14h\"); a time already past continues at once."},
	}}
	outOfHours := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "out_of_hours", What: "out_of_hours", Doc: "What a hand-off to a closed queue does.",
		ExactlyOne: []string{"say", "goto"},
		Fields: []*yamlfile.Field{
			{Name: "say", Spec: text(maxTextLen, ""), Doc: "Said instead of the hand-off's say; the conversation still waits in the queue."},
			{Name: "goto", Spec: target, Doc: "Continue here instead of handing off."},
		}}
	handoff := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "handoff", What: "handoff", Doc: "A hand-off to a human queue.", Fields: []*yamlfile.Field{
		{Name: "queue", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Required: true, Doc: "The queue of agents that takes the conversation."},
		{Name: "say", Spec: text(maxTextLen, ""), Doc: "Text sent to the contact before the hand-off."},
		{Name: "return_after", Spec: duration, Doc: "Give the conversation back to the bot after this long with no agent reply; every agent reply starts the count again (default: never)."},
		{Name: "return_to", Spec: target, Doc: "Where the flows continue when return_after passes with no agent reply (default: the bot waits for the next message)."},
		{Name: "out_of_hours", Spec: &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{target, outOfHours}},
			Doc: "When the queue is closed: a target to continue at instead of handing off, or {say: text} said instead of say (default: a message in Arabic and English saying when the queue opens)."},
	}}
	httpMethod := func(m string) *yamlfile.Field {
		return &yamlfile.Field{Name: m, Spec: text(0, ""), Doc: "Send an HTTP " + upper(m) + " to this URL."}
	}
	httpCall := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "http_request", What: "http request", Doc: "An HTTP request; exactly one method key holds the URL.",
		ExactlyOne: []string{"get", "post", "put", "patch", "delete"},
		Fields: []*yamlfile.Field{
			httpMethod("get"), httpMethod("post"), httpMethod("put"), httpMethod("patch"), httpMethod("delete"),
			{Name: "headers", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, Elem: text(0, "")}, Doc: "Request headers; values may hold {{ expressions }}."},
			{Name: "body", Spec: &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{text(0, ""), {Kind: yamlfile.KindAny}}},
				Doc: "The request body: JSON text, or a mapping sent as JSON; texts may hold {{ expressions }}."},
			{Name: "timeout", Spec: &yamlfile.Spec{Kind: yamlfile.KindDuration, MaxDuration: maxHTTPTimeout}, Doc: "How long to wait for the answer (default settings.http_timeout, at most 30s)."},
		}}

	step := func(kind string, kindShape *yamlfile.Spec, doc string, extra ...*yamlfile.Field) *yamlfile.Spec {
		fields := []*yamlfile.Field{{Name: kind, Spec: kindShape, Required: true, KindKey: true, Doc: doc}, idField}
		if kind != "goto" && kind != "end" && kind != "handoff" {
			fields = append(fields, nextField)
		}
		fields = append(fields, extra...)
		return &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "step_" + kind, What: kind + " step", Doc: doc, Fields: fields}
	}
	steps := []*yamlfile.Spec{
		step("say", text(maxTextLen, ""), "Send a text (at most 4096 characters) with {{ expressions }}."),
		step("buttons", text(maxButtonBodyLen, ""), "Send up to three reply buttons under this text (at most 1024 characters); waits for a press when a button has goto or save is set.",
			append([]*yamlfile.Field{
				{Name: "options", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: choice, MinItems: 1, MaxItems: maxButtons}, Required: true, Doc: "The buttons, 1 to 3."},
				{Name: "header", Spec: text(maxHeaderLen, ""), Doc: "A header line (at most 60 characters)."},
				{Name: "footer", Spec: text(maxFooterLen, ""), Doc: "A footer line (at most 60 characters)."},
			}, waitingFields("Variable that receives the pressed button's id.")...)...),
		step("list", text(maxTextLen, ""), "Send a list message with this text; waits for a choice when a row has goto or save is set.",
			append([]*yamlfile.Field{
				{Name: "button", Spec: text(maxListButtonLen, ""), Required: true, Doc: "The label of the button that opens the list (at most 20 characters)."},
				{Name: "rows", Spec: rows, Doc: "The rows (at most 10); or use sections."},
				{Name: "sections", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: section, MinItems: 1, MaxItems: maxListSections}, Doc: "Titled groups of rows (at most 10 rows in all); or use rows."},
				{Name: "header", Spec: text(maxHeaderLen, ""), Doc: "A header line (at most 60 characters)."},
				{Name: "footer", Spec: text(maxFooterLen, ""), Doc: "A footer line (at most 60 characters)."},
			}, waitingFields("Variable that receives the chosen row's id.")...)...),
		step("template", templateMsg, "Send an approved WhatsApp template."),
		step("media", mediaMsg, "Send an image, video, audio, document or sticker."),
		step("ask", text(maxTextLen, ""), "Send a question and wait for the answer, visible as answer.",
			&yamlfile.Field{Name: "save", Spec: ident, Required: true, Doc: "Variable that receives the answer; when no valid answer comes (on_fail, on_timeout) it is removed and <save>_error says why."},
			&yamlfile.Field{Name: "validate", Spec: boolExpr, Doc: "A bool expression over answer; false asks again."},
			&yamlfile.Field{Name: "value", Spec: expr, Doc: "An expression over answer whose value is saved instead of the answer."},
			&yamlfile.Field{Name: "retry", Spec: text(maxTextLen, ""), Doc: "Text sent after an invalid answer; default: the question again."},
			&yamlfile.Field{Name: "max_retries", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0), Max: yamlfile.IntPtr(100)}, Doc: "Invalid answers allowed after the first before on_fail (default 2)."},
			&yamlfile.Field{Name: "on_fail", Spec: target, Doc: "Where to go after max_retries invalid answers; default: the step's continuation."},
			&yamlfile.Field{Name: "timeout", Spec: duration, Doc: "How long to wait for an answer."},
			&yamlfile.Field{Name: "on_timeout", Spec: target, Doc: "Where to go when the timeout passes; default: the conversation ends quietly."},
			&yamlfile.Field{Name: "media", Spec: &yamlfile.Spec{Kind: yamlfile.KindBool}, Doc: "Accept a media message as the answer (its media id is saved)."},
		),
		step("set", &yamlfile.Spec{Kind: yamlfile.KindMap, Key: setTarget, Elem: expr, MinItems: 1}, "Evaluate each expression, in order, into vars or contact fields."),
		step("if", boolExpr, "Branch on a bool expression.",
			&yamlfile.Field{Name: "then", Spec: target, Doc: "Where to go when the condition is true; default: the step's continuation."},
			&yamlfile.Field{Name: "else", Spec: target, Doc: "Where to go when the condition is false; default: the step's continuation."},
		),
		step("switch", expr, "Compare the expression's value, as folded text, with each case.",
			&yamlfile.Field{Name: "cases", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, Elem: target, MinItems: 1}, Required: true, Doc: "value: target pairs, tried in order."},
			&yamlfile.Field{Name: "default", Spec: target, Doc: "Where to go when no case matches; default: the step's continuation."},
		),
		step("goto", target, "Jump to a step or a flow."),
		step("call", flowName, "Run a flow, then continue after this step."),
		step("wait", &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{duration, waitUntil}},
			"Pause for a duration, or until a moment ({until: expression}); the flow continues when the timer fires."),
		step("handoff", &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{{Kind: yamlfile.KindString, MinLen: 1}, handoff}},
			"Hand the conversation to a human queue (a queue name or a mapping); the bot stays silent until it returns."),
		step("tag", ids(""), "Add tags to the contact."),
		step("untag", ids(""), "Remove tags from the contact."),
		step("http", httpCall, "Call an HTTP endpoint; a JSON answer is saved, a failure goes to on_error.",
			&yamlfile.Field{Name: "save", Spec: ident, Doc: "Variable that receives the answer; <save>_error describes a failure."},
			&yamlfile.Field{Name: "on_error", Spec: target, Doc: "Where to go on a transport error, timeout or non-2xx status."},
		),
		step("end", &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{{Kind: yamlfile.KindBool, Const: true}, text(maxTextLen, "")}},
			"End the conversation: true, or a closing text."),
	}

	for _, st := range steps {
		if st.KindKey() == "list" {
			st.ExactlyOne = []string{"rows", "sections"}
		}
	}

	priority := &yamlfile.Field{Name: "priority", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt}, Doc: "Overrides the flow's priority for this trigger; higher is tried first."}
	trigger := func(kind string, kindShape *yamlfile.Spec, doc string, extra ...*yamlfile.Field) *yamlfile.Spec {
		fields := append([]*yamlfile.Field{{Name: kind, Spec: kindShape, Required: true, KindKey: true, Doc: doc}, priority}, extra...)
		return &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "trigger_" + kind, What: kind + " trigger", Doc: doc, Fields: fields}
	}
	triggers := []*yamlfile.Spec{
		trigger("keywords", &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{{Kind: yamlfile.KindString, MinLen: 1}, {Kind: yamlfile.KindList, MinItems: 1, Elem: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}}}},
			"Start when the folded message text holds one of these keywords.",
			&yamlfile.Field{Name: "match", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"word", "exact", "start"}},
				Doc: "word (default): the keyword occurs as whole words; exact: the whole message; start: the message starts with it."}),
		trigger("regex", &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extRegex, MinLen: 1}, "Start when this Go regular expression matches the message text (digits folded to ASCII)."),
		trigger("button", ids(""), "Start when a reply button with this id (or one of these ids) is pressed."),
		trigger("list", ids(""), "Start when a list row with this id (or one of these ids) is chosen."),
		trigger("when", boolExpr, "Start when this bool expression is true."),
		trigger("campaign", &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, "Start when a message answers this campaign."),
		trigger("call", &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{"missed", "any"}},
			"Start when a WhatsApp call the customer placed has ended: missed (nobody answered) or any; never while a question waits for its answer."),
		trigger("fallback", &yamlfile.Spec{Kind: yamlfile.KindBool, Const: true}, "Start when no other trigger matched (at most one per set)."),
	}

	stepList := &yamlfile.Spec{Kind: yamlfile.KindOneOf, Def: "step", Doc: "A step: a mapping with exactly one kind key.", Alts: steps}
	triggerList := &yamlfile.Spec{Kind: yamlfile.KindOneOf, Def: "trigger", Doc: "A trigger: a mapping with exactly one kind key.", Alts: triggers}

	flow := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "flow_file", What: "flow file", Doc: "A flow: its triggers and its steps.", Fields: []*yamlfile.Field{
		{Name: "flow", Spec: flowName, Required: true, Doc: "The flow's name, unique in the set: lower-case letters, digits, _ and -."},
		{Name: "description", Spec: str(""), Doc: "What the flow is for."},
		{Name: "priority", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt}, Doc: "Default priority of this flow's triggers (default 0); higher is tried first."},
		{Name: "triggers", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: triggerList}, Doc: "What starts the flow; without triggers it is reached by goto or call only."},
		{Name: "steps", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: stepList, MinItems: 1}, Required: true, Doc: "The steps, run in order."},
	}}
	queue := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "queue", What: "queue", Doc: "A human queue: its opening hours ({} : always open).", Fields: []*yamlfile.Field{
		{Name: "timezone", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "IANA time zone of the hours and holidays (default settings.timezone)."},
		{Name: "hours", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "Weekly opening hours, e.g. \"sun-thu 09:00-17:00\" or \"الأحد-الخميس 09:00-17:00\" (default: always open)."},
		{Name: "holidays", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}}, Doc: "Days the queue is closed all day, as YYYY-MM-DD."},
	}}
	settingsObj := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "settings", What: "settings", Doc: "Set-wide options.", Fields: []*yamlfile.Field{
		{Name: "timezone", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "IANA time zone of now and business hours, e.g. Asia/Riyadh (default UTC)."},
		{Name: "business_hours", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "Opening hours read by open, e.g. \"sun-thu 09:00-17:00; sat 10:00-14:00\"."},
		{Name: "restart_words", Spec: words(""), Doc: "Words that restart the conversation at restart_flow (default menu, القائمة)."},
		{Name: "restart_flow", Spec: flowName, Doc: "The flow restart words start (default: the flow with the fallback trigger)."},
		{Name: "opt_out_words", Spec: words(""), Doc: "Words that opt the contact out (default stop, إلغاء, الغاء)."},
		{Name: "opt_out_reply", Spec: str(""), Doc: "Confirmation sent once on opting out (default: a short text in Arabic and English that says how to resume)."},
		{Name: "opt_in_words", Spec: words(""), Doc: "Words that lift an opt-out (default start, ابدأ)."},
		{Name: "opt_in_reply", Spec: str(""), Doc: "Confirmation sent on opting in (default: a welcome back in Arabic and English)."},
		{Name: "burst_window", Spec: duration, Doc: "Messages closer than this are answered once (default 0: off)."},
		{Name: "max_steps", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(1), Max: yamlfile.IntPtr(10000)}, Doc: "Steps run without input before a loop is stopped (default 100)."},
		{Name: "http_timeout", Spec: &yamlfile.Spec{Kind: yamlfile.KindDuration, MaxDuration: maxHTTPTimeout}, Doc: "Default timeout of http steps (default 5s, at most 30s)."},
		{Name: "question_changed", Spec: str(""), Doc: "Said before asking again a question that a reload changed or removed while the customer was answering it (default: a short apology in Arabic and English)."},
		{Name: "error_reply", Spec: str(""), Doc: "Said when a step fails at run time (default: a short apology in Arabic and English)."},
		{Name: "error_handoff", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "Queue a conversation is handed to after a run-time error (default: none, the conversation ends)."},
		{Name: "queues", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, KeyDoc: "queue name", Elem: queue},
			Doc: "The human queues hand-offs name, with their opening hours; once declared, a hand-off to an undeclared queue is an error (default: none declared, any queue, always open)."},
		{Name: "bot_words", Spec: words(""), Doc: "Words a contact sends to get the bot back while an agent has the conversation (default bot, بوت)."},
	}}
	settingsFile := &yamlfile.Spec{Kind: yamlfile.KindObject, Def: "settings_file", What: "settings file", Doc: "The settings of a flows folder (at most one file per set).", Fields: []*yamlfile.Field{
		{Name: "settings", Spec: settingsObj, Required: true, Doc: "Set-wide options."},
	}}
	file := &yamlfile.Spec{Kind: yamlfile.KindOneOf, What: "flow file", Alts: []*yamlfile.Spec{flow, settingsFile},
		Doc: "A wasla flow (top-level flow:) or the settings of a flows folder (top-level settings:). See docs/flows.md."}
	return &Definitions{File: file, Flow: flow, Settings: settingsFile, Triggers: triggers, Steps: steps}
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
