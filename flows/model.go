package flows

import (
	"regexp"
	"time"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/flows/schedule"
)

// Set is a loaded, validated, immutable collection of flows with its settings. It is safe
// to share between goroutines; a reload builds a new Set and swaps it in whole.
type Set struct {
	Flows    map[string]*Flow
	Triggers []*Trigger // every trigger of every flow, highest priority first, then file order
	Settings Settings
}

// Settings are the set-wide options of a flows folder (a file with a top-level
// `settings:` key). Zero values mean the documented defaults, filled in by the loader.
type Settings struct {
	Timezone      *time.Location
	RestartWords  []string // folded; restart the conversation at RestartFlow
	RestartFlow   string   // default: the flow of the fallback trigger
	OptOutWords   []string // folded; mark the contact opted out
	OptOutReply   string   // confirmation sent once
	OptInWords    []string // folded; lift an opt-out
	OptInReply    string
	BurstWindow   time.Duration // messages closer than this are answered once; 0 = off
	MaxSteps      int           // steps run without input before the engine stops a loop
	BusinessHours string        // spec read by the `open` variable, e.g. "sun-thu 09:00-17:00; sat 10:00-14:00"
	HTTPTimeout   time.Duration // default timeout of http steps
	// QuestionChanged is said to a customer whose question was changed or removed by a
	// reload while they were answering it, before they are asked again.
	QuestionChanged string
	// ErrorReply is said when a step fails at run time; ErrorHandoff, when set, is the
	// queue the conversation is then handed to.
	ErrorReply   string
	ErrorHandoff string
	// Queues are the human queues hand-offs may name, with their opening schedules; nil
	// when the set declares none (any queue name is then accepted, always open).
	Queues map[string]*Queue
	// BotWords, folded, ask for the bot back while a human has the conversation (default
	// bot, بوت).
	BotWords []string
}

// Queue is a human queue declared in settings.queues.
type Queue struct {
	Name     string
	Schedule *schedule.Schedule // nil: always open
}

// Schedule returns the opening schedule of queue, nil (always open) when the set declares
// no hours for it.
func (s *Settings) Schedule(queue string) *schedule.Schedule {
	if q := s.Queues[queue]; q != nil {
		return q.Schedule
	}
	return nil
}

// TriggerKind names what a trigger matches.
type TriggerKind string

// Trigger kinds.
const (
	TriggerKeywords TriggerKind = "keywords"
	TriggerRegex    TriggerKind = "regex"
	TriggerReply    TriggerKind = "reply" // a button or list reply id (YAML `button:` or `list:`)
	TriggerWhen     TriggerKind = "when"
	TriggerCampaign TriggerKind = "campaign"
	// TriggerCall starts a flow when a call the contact placed ends (the calls webhook),
	// not on a message: Trigger.Call says which calls.
	TriggerCall     TriggerKind = "call"
	TriggerFallback TriggerKind = "fallback"
)

// KeywordMatch says how keywords compare with the folded message text.
type KeywordMatch string

// Keyword match modes.
const (
	MatchWord  KeywordMatch = "word"  // default: the keyword occurs as whole words
	MatchExact KeywordMatch = "exact" // the whole message equals the keyword
	MatchStart KeywordMatch = "start" // the message starts with the keyword's words
)

// Trigger starts a flow when a message arrives and no input is awaited.
type Trigger struct {
	Flow     string
	Kind     TriggerKind
	Priority int
	Keywords []string // folded with normalize.Text
	Match    KeywordMatch
	Regex    *regexp.Regexp // matched against the message text with digits folded to ASCII
	ReplyIDs []string
	When     *expr.Expr // bool
	Campaign string
	Call     string // CallMissed or CallAny, for TriggerCall
	Pos      Pos
}

// Values of a call trigger: a call from the customer that nobody answered, or any call
// from the customer, once it ended.
const (
	CallMissed = "missed"
	CallAny    = "any"
)

// Flow is one named conversation: its triggers and its steps in order.
type Flow struct {
	Name        string
	Description string
	File        string
	Triggers    []*Trigger
	Steps       []*Step
	index       map[string]int
}

// NewFlow builds a flow and its step index; loaders and tests use it.
func NewFlow(name, file string, triggers []*Trigger, steps []*Step) *Flow {
	f := &Flow{Name: name, File: file, Triggers: triggers, Steps: steps, index: map[string]int{}}
	for i, s := range steps {
		f.index[s.ID] = i
	}
	return f
}

// Step returns the step with the id and its position in the flow.
func (f *Flow) Step(id string) (*Step, int, bool) {
	i, ok := f.index[id]
	if !ok {
		return nil, -1, false
	}
	return f.Steps[i], i, true
}

// Target names a step to continue at: a step of the same flow, or a step (or the start) of
// another flow. The loader resolves every target; an empty Target means "the next step".
type Target struct {
	Flow string // always set after loading
	Step string // empty: the first step of Flow
}

// IsZero reports whether no target was given.
func (t Target) IsZero() bool { return t.Flow == "" && t.Step == "" }

// StepKind names what a step does.
type StepKind string

// Step kinds.
const (
	StepSay      StepKind = "say"
	StepButtons  StepKind = "buttons"
	StepList     StepKind = "list"
	StepTemplate StepKind = "template"
	StepMedia    StepKind = "media"
	StepAsk      StepKind = "ask"
	StepSet      StepKind = "set"
	StepIf       StepKind = "if"
	StepSwitch   StepKind = "switch"
	StepGoto     StepKind = "goto"
	StepCall     StepKind = "call"
	StepWait     StepKind = "wait"
	StepHandoff  StepKind = "handoff"
	StepTag      StepKind = "tag" // tag and untag
	StepHTTP     StepKind = "http"
	StepEnd      StepKind = "end"
)

// Step is one instruction of a flow. Exactly one of the kind-specific fields is set,
// matching Kind. A step without an explicit id is named from its content (see nameSteps),
// so that a reload finds a waiting session's step under the same name.
type Step struct {
	ID   string
	Kind StepKind
	Pos  Pos
	Next Target // explicit continuation; zero: the following step, or the end of the flow
	// Fingerprint hashes what the step says and does, without its id, continuations,
	// retry text and timeout: a session waiting at a step whose fingerprint changed
	// across a reload waits at a different question.
	Fingerprint string

	Say      *expr.Template
	Buttons  *Buttons
	List     *List
	Template *TemplateMsg
	Media    *MediaMsg
	Ask      *Ask
	Set      []Assign
	If       *If
	Switch   *Switch
	Goto     Target
	Call     string // flow name; returns to Next (or the following step) when it ends
	Wait     time.Duration
	WaitTill *expr.Expr // wait until the time this expression gives (wait: {until: ...}); Wait is then 0
	Handoff  *Handoff
	Tag      *Tagging
	HTTP     *HTTP
	End      *expr.Template // optional closing text; nil text ends silently
}

// Choice is one button or list row. Goto is where the conversation continues when the
// contact picks it; zero means the step's own continuation.
type Choice struct {
	ID          string
	Title       *expr.Template
	Description *expr.Template // list rows only
	Goto        Target
}

// Buttons sends up to three reply buttons. When Await is true (a choice has a goto, or
// Save is set) the step waits for a press; a typed text that folds to a button title counts
// as that press; anything else gets Retry (or the buttons again) up to MaxRetries, then
// OnFail (or the step's continuation).
type Buttons struct {
	Text       *expr.Template
	Header     *expr.Template
	Footer     *expr.Template
	Choices    []Choice
	Await      bool
	Save       string // variable that receives the chosen id
	Retry      *expr.Template
	MaxRetries int
	OnFail     Target
	Timeout    time.Duration
	OnTimeout  Target
}

// ListSection groups list rows.
type ListSection struct {
	Title *expr.Template
	Rows  []Choice
}

// List sends a list message of up to ten rows; waiting works as for Buttons.
type List struct {
	Text       *expr.Template
	Button     *expr.Template // label of the button that opens the list
	Header     *expr.Template
	Footer     *expr.Template
	Sections   []ListSection
	Await      bool
	Save       string
	Retry      *expr.Template
	MaxRetries int
	OnFail     Target
	Timeout    time.Duration
	OnTimeout  Target
}

// TemplateMsg sends an approved WhatsApp template.
type TemplateMsg struct {
	Name     string
	Language string
	Params   []*expr.Template
}

// MediaMsg sends an image, video, audio, document or sticker by link or media id.
type MediaMsg struct {
	Kind     string // image, video, audio, document, sticker
	URL      *expr.Template
	ID       string
	Caption  *expr.Template
	Filename string
}

// Ask sends a question and waits for the answer.
type Ask struct {
	Prompt     *expr.Template
	Save       string     // variable that receives the answer
	Value      *expr.Expr // optional transform of the answer before it is saved
	Validate   *expr.Expr // bool; sees `answer`
	Retry      *expr.Template
	MaxRetries int    // retries after the first answer (the loader fills the default, 2)
	OnFail     Target // after MaxRetries invalid answers; zero: the step's continuation
	Timeout    time.Duration
	OnTimeout  Target
	Media      bool // accept a media message as the answer (its id is saved)
}

// Assign sets one variable.
type Assign struct {
	Name  string
	Value *expr.Expr
}

// If branches on a bool expression. A zero Then or Else means the step's continuation.
type If struct {
	Cond *expr.Expr
	Then Target
	Else Target
}

// Case is one arm of a switch: the value it matches (compared as strings after
// folding) and where to go.
type Case struct {
	Value string
	Goto  Target
}

// Switch compares an expression's value with its cases in order.
type Switch struct {
	Value   *expr.Expr
	Cases   []Case
	Default Target
}

// Handoff passes the conversation to a human queue; the session's mode becomes human
// until an agent returns it or Return passes with no agent reply (0: never).
type Handoff struct {
	Queue  string
	Say    *expr.Template
	Return time.Duration
	// ReturnTo is where the flows continue when the return timer brings the conversation
	// back; zero: the bot just listens again.
	ReturnTo Target
	// OutOfHours is what happens when the queue is closed at hand-off time; nil: the
	// queue's default message (when it opens) replaces Say, and the hand-off goes on.
	OutOfHours *OutOfHours
}

// OutOfHours is a hand-off's answer to a closed queue: a target to continue at instead of
// handing off (Goto), or a text said instead of the hand-off's say (Say), the hand-off
// then waiting in the queue for its opening.
type OutOfHours struct {
	Goto Target
	Say  *expr.Template
}

// Tagging adds and removes contact tags.
type Tagging struct {
	Add    []string
	Remove []string
}

// HTTP calls an endpoint. A 2xx JSON answer is decoded into the Save variable (a non-JSON
// answer is saved as text); a transport error, timeout or non-2xx status goes to OnError,
// with the variable `<save>_error` describing it.
type HTTP struct {
	Method  string
	URL     *expr.Template
	Headers map[string]*expr.Template
	Body    *expr.Template // rendered, sent as application/json when it parses as JSON
	Timeout time.Duration
	Save    string
	OnError Target
}
