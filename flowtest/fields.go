package flowtest

import (
	"net/http"
	"sync"
)

// ValueKind names what kind of YAML value a key of a test file accepts. The parser reads
// each kind with its own code; package schema turns the same definitions into
// schema/test.schema.json, so the keys an editor completes are the keys the parser takes.
type ValueKind int

// Value kinds.
const (
	ValueText       ValueKind = iota // any single value, read as text (user: 123456)
	ValueName                        // a single value that is not blank
	ValueBool                        // true or false
	ValueTrue                        // only true: a check that false would switch off
	ValueTime                        // an RFC 3339 time, such as 2026-03-01T10:00:00+03:00
	ValueDuration                    // a clock move: +25h, 30m, 2d, 1d12h
	ValueNames                       // a list of non-blank values, or one value for a list of one
	ValueEnum                        // one of Enum
	ValueLocation                    // [latitude, longitude]
	ValueStatus                      // an HTTP status code, 100 to 599
	ValueAny                         // any YAML value
	ValueMapping                     // a mapping with the keys of Fields
	ValueVars                        // a mapping of variable names to any values
	ValueMocks                       // a mapping of "METHOD URL" (a method of Enum) to Elem
	ValueMockAnswer                  // any value; in a mapping, keys that start with $ are Fields
	ValueList                        // a list of Elem
	ValueAnyOf                       // one of Alts, told apart by the YAML node's kind
)

// Value describes what a key accepts.
type Value struct {
	Kind ValueKind
	// What names a mapping in messages ("a test", "contact", "bot").
	What string
	Doc  string

	Fields    []*Field // ValueMapping; ValueMockAnswer: its $ keys
	Elem      *Value   // ValueList items; ValueMocks answers
	Alts      []*Value // ValueAnyOf
	Enum      []string // ValueEnum; ValueMocks: the HTTP methods
	MinItems  int      // ValueList, ValueMapping, ValueVars: at least this many (0: no bound)
	OneKey    bool     // ValueMapping: exactly one of its keys (a step, a media turn)
	Exclusive []string // ValueMapping: at most one of these keys
}

// Field is one key of a mapping in a test file.
type Field struct {
	Name     string
	Value    *Value
	Required bool
	Doc      string
}

// Names returns the keys of a mapping value, in documented order: the keys the parser
// accepts and suggests.
func (v *Value) Names() []string {
	out := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		out[i] = f.Name
	}
	return out
}

// Definitions are the whole test-file format: the single source of truth for the parser's
// key checks and for schema/test.schema.json.
type Definitions struct {
	Test       *Value // one YAML document: one test
	Contact    *Value
	Step       *Value // one line of steps: a mapping with one key
	Bot        *Value // the mapping form of a bot expectation
	MockAnswer *Value
	MocksFile  *Value   // a *.mocks.yaml file
	MediaKinds []string // what media turns send and bot media expectations name
	Methods    []string // the HTTP methods a mock answers
}

// FormatDefinitions returns the test-file format. The value is shared and must not be
// changed.
func FormatDefinitions() *Definitions { return formatDefs() }

var formatDefs = sync.OnceValue(buildDefinitions)

func buildDefinitions() *Definitions {
	text := &Value{Kind: ValueText}
	name := &Value{Kind: ValueName}
	names := &Value{Kind: ValueNames}
	boolean := &Value{Kind: ValueBool}
	mediaKinds := []string{"image", "audio", "video", "document", "sticker"}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	mediaKind := &Value{Kind: ValueEnum, Enum: mediaKinds}

	contact := &Value{Kind: ValueMapping, What: "contact", Doc: "The contact the test chats as.", Fields: []*Field{
		{Name: "id", Value: name, Doc: "The contact's WhatsApp id, a phone number in international form without + (default 966500000001)."},
		{Name: "name", Value: text, Doc: "The contact's profile name, read as contact.name."},
		{Name: "language", Value: text, Doc: "The contact's language code, read as contact.language."},
		{Name: "tags", Value: names, Doc: "Tags the contact has at the start."},
	}}

	answer := &Value{Kind: ValueMockAnswer, What: "mock answer",
		Doc: "The answer: a mapping or list is a 200 response with that JSON body, a text is a text body; in a mapping, $status sets the status and $error fails the request.",
		Fields: []*Field{
			{Name: "$status", Value: &Value{Kind: ValueStatus}, Doc: "The response's HTTP status code, such as 404 (default 200)."},
			{Name: "$error", Value: name, Doc: "Fail the request with this transport error instead of answering; timeout is a timeout."},
		}}
	mocks := &Value{Kind: ValueMocks, Enum: methods, Elem: answer,
		Doc: "Answers for http steps, keyed by \"METHOD URL\", such as \"GET https://shop.example/api/orders/1\"; tests never reach the network."}

	bot := &Value{Kind: ValueMapping, What: "bot", MinItems: 1, Exclusive: []string{"buttons", "list"},
		Doc: "What the next bot message must have; only the parts given are checked.",
		Fields: []*Field{
			{Name: "text", Value: text, Doc: `The message's text: exact text, contains "part" or regex "pattern".`},
			{Name: "buttons", Value: names, Doc: "The message's reply button titles, in order."},
			{Name: "list", Value: names, Doc: "The message's list row titles, in order."},
			{Name: "template", Value: name, Doc: "The name of the template the message is."},
			{Name: "media", Value: mediaKind, Doc: "The kind of media the message is."},
		}}
	botText := &Value{Kind: ValueText,
		Doc: `The next bot message's text: the exact text; contains "part": the text contains part; regex "pattern": a Go regular expression matches the text (backslashes stay as written).`}

	mediaTurn := &Value{Kind: ValueAnyOf, Alts: []*Value{
		mediaKind,
		{Kind: ValueMapping, What: "media", OneKey: true, Doc: "A kind and its caption, such as { image: my receipt }.", Fields: fieldsOf(mediaKinds, func(kind string) *Field {
			return &Field{Name: kind, Value: text, Doc: "Send " + article(kind) + " " + kind + " with this caption."}
		})},
	}}

	step := &Value{Kind: ValueMapping, What: "a step", OneKey: true,
		Doc: "A step: a user turn, an expectation or a clock move; one key per step.",
		Fields: []*Field{
			{Name: string(StepUser), Value: text, Doc: "The user sends this text message."},
			{Name: string(StepPress), Value: name, Doc: "The user presses a reply button of the last bot message, by id or title."},
			{Name: string(StepChoose), Value: name, Doc: "The user chooses a list row of the last bot message, by id or title."},
			{Name: string(StepMedia), Value: mediaTurn, Doc: "The user sends media: image, audio, video, document or sticker, or { image: caption }."},
			{Name: string(StepLocation), Value: &Value{Kind: ValueLocation}, Doc: "The user shares a location: [latitude, longitude], such as [24.7, 46.7]."},
			{Name: string(StepBot), Value: &Value{Kind: ValueAnyOf, Alts: []*Value{botText, bot}},
				Doc: `The next bot message: "exact text", contains "part", regex "pattern", or a mapping of text, buttons, list, template, media.`},
			{Name: string(StepNoReply), Value: &Value{Kind: ValueTrue}, Doc: "The bot sent nothing more."},
			{Name: string(StepVars), Value: &Value{Kind: ValueVars, MinItems: 1}, Doc: "These variables have these values; others are not checked."},
			{Name: string(StepTags), Value: names, Doc: "The contact has these tags (others allowed)."},
			{Name: string(StepNoTags), Value: names, Doc: "The contact has none of these tags."},
			{Name: string(StepHandoff), Value: &Value{Kind: ValueAnyOf, Alts: []*Value{boolean, name}},
				Doc: "The conversation is in human mode on this queue; true: on any queue; false: with the bot."},
			{Name: string(StepOptedOut), Value: boolean, Doc: "The contact has opted out (true) or not (false)."},
			{Name: string(StepTime), Value: &Value{Kind: ValueDuration}, Doc: "Move the clock forward, firing due timers: +25h, 30m, 2d, 1d12h."},
			{Name: string(StepError), Value: &Value{Kind: ValueName},
				Doc: `The next run-time error of the flows: "exact text", contains "part" or regex "pattern". A test fails at a run-time error that no error step expects.`},
		}}

	test := &Value{Kind: ValueMapping, What: "a test",
		Doc: "One conversation test; a file holds one test per YAML document (separated by ---). See docs/testing.md.",
		Fields: []*Field{
			{Name: "test", Value: name, Required: true, Doc: "The test's name, unique in the file; wasla test -run filters on it."},
			{Name: "contact", Value: contact, Doc: "The contact the test chats as: id, name, language, tags."},
			{Name: "number", Value: name, Doc: "The id of the number the contact writes to (default inbox)."},
			{Name: "campaign", Value: name, Doc: "The campaign the contact's messages answer."},
			{Name: "vars", Value: &Value{Kind: ValueVars}, Doc: "Variables the conversation starts with."},
			{Name: "start", Value: &Value{Kind: ValueTime}, Doc: "When the clock starts, such as 2026-03-01T10:00:00+03:00 (default 2026-01-05T09:00:00Z, a Monday)."},
			{Name: "mocks", Value: mocks, Doc: mocks.Doc},
			{Name: "steps", Value: &Value{Kind: ValueList, Elem: step, MinItems: 1}, Required: true, Doc: "What the user does and what must follow, in order."},
		}}

	mocksFile := &Value{Kind: ValueMapping, What: "mocks file",
		Doc: "Answers for the http steps of wasla simulate.",
		Fields: []*Field{
			{Name: "mocks", Value: mocks, Doc: mocks.Doc},
		}}

	return &Definitions{
		Test:       test,
		Contact:    contact,
		Step:       step,
		Bot:        bot,
		MockAnswer: answer,
		MocksFile:  mocksFile,
		MediaKinds: mediaKinds,
		Methods:    methods,
	}
}

func fieldsOf(names []string, field func(string) *Field) []*Field {
	out := make([]*Field, len(names))
	for i, n := range names {
		out[i] = field(n)
	}
	return out
}

func article(word string) string {
	switch word[0] {
	case 'a', 'e', 'i', 'o', 'u':
		return "an"
	}
	return "a"
}
