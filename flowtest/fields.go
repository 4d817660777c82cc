package flowtest

import (
	"net/http"
	"sync"

	"github.com/wasla/wasla/yamlfile"
)

// Definitions are the whole test-file format: the single source of truth for the parser's
// key checks and for schema/test.schema.json.
type Definitions struct {
	Test       *yamlfile.Spec // one YAML document: one test
	Contact    *yamlfile.Spec
	Step       *yamlfile.Spec // one line of steps: a mapping with one key
	Bot        *yamlfile.Spec // the mapping form of a bot expectation
	MockAnswer *yamlfile.Spec
	MocksFile  *yamlfile.Spec // a *.mocks.yaml file
	MediaKinds []string       // what media turns send and bot media expectations name
	Methods    []string       // the HTTP methods a mock answers
}

// FormatDefinitions returns the test-file format. The value is shared and must not be
// changed.
func FormatDefinitions() *Definitions { return formatDefs() }

// FormatSpec returns the spec of one test document (Definitions.Test), from which package
// schema writes test.schema.json.
func FormatSpec() *yamlfile.Spec { return formatDefs().Test }

var formatDefs = sync.OnceValue(buildDefinitions)

func buildDefinitions() *Definitions {
	text := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extText}
	name := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extName}
	names := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extNames}
	boolean := &yamlfile.Spec{Kind: yamlfile.KindBool}
	mediaKinds := []string{"image", "audio", "video", "document", "sticker"}
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}
	mediaKind := &yamlfile.Spec{Kind: yamlfile.KindString, Enum: mediaKinds}

	contact := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "contact", Doc: "The contact the test chats as.", Fields: []*yamlfile.Field{
		{Name: "id", Spec: name, Doc: "The contact's WhatsApp id, a phone number in international form without + (default 966500000001)."},
		{Name: "name", Spec: text, Doc: "The contact's profile name, read as contact.name."},
		{Name: "language", Spec: text, Doc: "The contact's language code, read as contact.language."},
		{Name: "tags", Spec: names, Doc: "Tags the contact has at the start."},
	}}

	answer := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extMockAnswer, What: "mock answer",
		Doc: "The answer: a mapping or list is a 200 response with that JSON body, a text is a text body; in a mapping, $status sets the status and $error fails the request.",
		Fields: []*yamlfile.Field{
			{Name: "$status", Spec: &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extStatus}, Doc: "The response's HTTP status code, such as 404 (default 200)."},
			{Name: "$error", Spec: name, Doc: "Fail the request with this transport error instead of answering; timeout is a timeout."},
		}}
	mocks := &yamlfile.Spec{Kind: yamlfile.KindMap, Elem: answer,
		Key: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: patternMockKey(methods), Doc: "METHOD URL"},
		Doc: "Answers for http steps, keyed by \"METHOD URL\", such as \"GET https://shop.example/api/orders/1\"; tests never reach the network."}

	bot := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "bot", MinItems: 1, AtMostOne: []string{"buttons", "list"},
		Doc: "What the next bot message must have; only the parts given are checked.",
		Fields: []*yamlfile.Field{
			{Name: "text", Spec: text, Doc: `The message's text: exact text, contains "part" or regex "pattern".`},
			{Name: "buttons", Spec: names, Doc: "The message's reply button titles, in order."},
			{Name: "list", Spec: names, Doc: "The message's list row titles, in order."},
			{Name: "template", Spec: name, Doc: "The name of the template the message is."},
			{Name: "media", Spec: mediaKind, Doc: "The kind of media the message is."},
		}}
	botText := &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extText,
		Doc: `The next bot message's text: the exact text; contains "part": the text contains part; regex "pattern": a Go regular expression matches the text (backslashes stay as written).`}

	mediaTurn := &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{
		mediaKind,
		{Kind: yamlfile.KindObject, What: "media", ExactlyOne: mediaKinds, Doc: "A kind and its caption, such as { image: my receipt }.", Fields: fieldsOf(mediaKinds, func(kind string) *yamlfile.Field {
			return &yamlfile.Field{Name: kind, Spec: text, Doc: "Send " + article(kind) + " " + kind + " with this caption."}
		})},
	}}

	step := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "a step",
		Doc: "A step: a user turn, an expectation or a clock move; one key per step.",
		Fields: []*yamlfile.Field{
			{Name: string(StepUser), Spec: text, Doc: "The user sends this text message."},
			{Name: string(StepPress), Spec: name, Doc: "The user presses a reply button of the last bot message, by id or title."},
			{Name: string(StepChoose), Spec: name, Doc: "The user chooses a list row of the last bot message, by id or title."},
			{Name: string(StepMedia), Spec: mediaTurn, Doc: "The user sends media: image, audio, video, document or sticker, or { image: caption }."},
			{Name: string(StepLocation), Spec: &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extLocation}, Doc: "The user shares a location: [latitude, longitude], such as [24.7, 46.7]."},
			{Name: string(StepCall), Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Enum: []string{CallMissed, CallAnswered}},
				Doc: "The user calls the business number and the call ends: missed (nobody answered) or answered."},
			{Name: string(StepBot), Spec: &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{botText, bot}},
				Doc: `The next bot message: "exact text", contains "part", regex "pattern", or a mapping of text, buttons, list, template, media.`},
			{Name: string(StepNoReply), Spec: &yamlfile.Spec{Kind: yamlfile.KindBool, Const: true}, Doc: "The bot sent nothing more."},
			{Name: string(StepVars), Spec: &yamlfile.Spec{Kind: yamlfile.KindMap, MinItems: 1}, Doc: "These variables have these values; others are not checked."},
			{Name: string(StepNoVars), Spec: names, Doc: "None of these variables is set, as after a failed http step or ask."},
			{Name: string(StepTags), Spec: names, Doc: "The contact has these tags (others allowed)."},
			{Name: string(StepNoTags), Spec: names, Doc: "The contact has none of these tags."},
			{Name: string(StepHandoff), Spec: &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{boolean, name}},
				Doc: "The conversation is in human mode on this queue; true: on any queue; false: with the bot."},
			{Name: string(StepOptedOut), Spec: boolean, Doc: "The contact has opted out (true) or not (false)."},
			{Name: string(StepTime), Spec: &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extClockMove}, Doc: "Move the clock forward, firing due timers: +25h, 30m, 2d, 1d12h."},
			{Name: string(StepAgentClaim), Spec: &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{boolean, name}},
				Doc: "An agent takes the handed-off conversation: the agent's id (true: agent); fails when the bot has it."},
			{Name: string(StepAgent), Spec: text, Doc: "The agent who claimed the conversation replies with this text, through the same window rules as the inbox; restarts the return timer."},
			{Name: string(StepAgentRelease), Spec: &yamlfile.Spec{Kind: yamlfile.KindOneOf, Alts: []*yamlfile.Spec{boolean, name}},
				Doc: "The agent gives the conversation back to the bot: true: for the next message; a flow, flow.step or step id: the bot continues there at once."},
			{Name: string(StepError), Spec: name,
				Doc: `The next run-time error of the flows: "exact text", contains "part" or regex "pattern". A test fails at a run-time error that no error step expects.`},
		}}

	step.ExactlyOne = step.Names() // one key per step

	test := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "a test",
		Doc: "One conversation test; a file holds one test per YAML document (separated by ---). See docs/testing.md.",
		Fields: []*yamlfile.Field{
			{Name: "test", Spec: name, Required: true, Doc: "The test's name, unique in the file; wasla test -run filters on it."},
			{Name: "contact", Spec: contact, Doc: "The contact the test chats as: id, name, language, tags."},
			{Name: "number", Spec: name, Doc: "The id of the number the contact writes to (default inbox)."},
			{Name: "campaign", Spec: name, Doc: "The campaign the contact's messages answer."},
			{Name: "vars", Spec: &yamlfile.Spec{Kind: yamlfile.KindMap}, Doc: "Variables the conversation starts with."},
			{Name: "start", Spec: &yamlfile.Spec{Kind: yamlfile.KindExt, Ext: extTime}, Doc: "When the clock starts, such as 2026-03-01T10:00:00+03:00 (default 2026-01-05T09:00:00Z, a Monday)."},
			{Name: "mocks", Spec: mocks, Doc: mocks.Doc},
			{Name: "steps", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: step, MinItems: 1}, Required: true, Doc: "What the user does and what must follow, in order."},
		}}

	mocksFile := &yamlfile.Spec{Kind: yamlfile.KindObject, What: "mocks file",
		Doc: "Answers for the http steps of wasla simulate.",
		Fields: []*yamlfile.Field{
			{Name: "mocks", Spec: mocks, Doc: mocks.Doc},
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

func fieldsOf(names []string, field func(string) *yamlfile.Field) []*yamlfile.Field {
	out := make([]*yamlfile.Field, len(names))
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
