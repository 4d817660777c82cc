package flowtest

import (
	"regexp"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// Defaults for what a test leaves out.
const (
	DefaultContact chat.ContactID = "966500000001"
	DefaultNumber  chat.NumberID  = "inbox"
)

// DefaultStart is the clock's start when a test gives none: Monday 5 January 2026, 09:00 UTC.
var DefaultStart = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// Test is one conversation test: one YAML document of a test file.
type Test struct {
	Name     string
	Pos      flows.Pos // the document's `test:` key
	Contact  Contact
	Number   chat.NumberID
	Campaign string
	Vars     map[string]any
	Start    time.Time
	Mocks    []*Mock
	Steps    []*Step
}

// Contact is the contact a test chats as.
type Contact struct {
	ID       chat.ContactID
	Name     string
	Language string
	Tags     []string
}

// Mock is the canned answer to one HTTP request, keyed by method and URL.
type Mock struct {
	Method string
	URL    string
	Pos    flows.Pos
	Status int    // default 200
	Body   []byte // JSON, or text when the mock is a plain string
	JSON   bool   // Body is JSON
	Error  string // when set, the request fails with this transport error ("timeout" is a timeout)
}

// StepKind names what a test step does.
type StepKind string

// Test step kinds: user turns, expectations and clock moves.
const (
	StepUser     StepKind = "user"
	StepPress    StepKind = "press"
	StepChoose   StepKind = "choose"
	StepMedia    StepKind = "media"
	StepLocation StepKind = "location"
	StepCall     StepKind = "call"
	StepBot      StepKind = "bot"
	StepNoReply  StepKind = "no_reply"
	StepVars     StepKind = "vars"
	StepNoVars   StepKind = "no_vars"
	StepTags     StepKind = "tags"
	StepNoTags   StepKind = "no_tags"
	StepHandoff  StepKind = "handoff"
	StepOptedOut StepKind = "opted_out"
	StepTime     StepKind = "time"
	StepError    StepKind = "error"
	// The agent's side of a hand-off.
	StepAgentClaim   StepKind = "agent_claim"
	StepAgent        StepKind = "agent"
	StepAgentRelease StepKind = "agent_release"
)

// IsAgent reports whether the step is something an agent does.
func (k StepKind) IsAgent() bool {
	return k == StepAgentClaim || k == StepAgent || k == StepAgentRelease
}

// IsTurn reports whether the step is something the user sends.
func (k StepKind) IsTurn() bool {
	switch k {
	case StepUser, StepPress, StepChoose, StepMedia, StepLocation, StepCall:
		return true
	}
	return false
}

// Step is one line of a test's `steps:`. Which fields are set depends on Kind.
type Step struct {
	Kind StepKind
	Pos  flows.Pos

	Text      string    // user, agent: the text; press, choose: the id or title; media: the caption; time: as written; agent_claim: the agent; agent_release: the target ("" : none); call: missed or answered
	MediaKind chat.Kind // media (and bot media expectations)
	Location  chat.Location

	Bot *BotExpect // bot
	// Error is what the next run-time error of the flows must say (error:); only its text
	// is set. A test fails at a run-time error no error: step expects.
	Error *BotExpect

	Vars     []VarExpect   // vars, in file order
	Tags     []string      // tags, no_tags; no_vars: the variable names
	Queue    string        // handoff: the queue; empty with Human set means any queue
	Human    bool          // handoff: the conversation must be in human mode (false: bot mode)
	OptedOut bool          // opted_out
	Advance  time.Duration // time
}

// VarExpect is one expected variable.
type VarExpect struct {
	Name  string
	Value any
	Pos   flows.Pos
}

// TextMatch says how an expected text compares with the actual one.
type TextMatch string

// Text match modes of bot expectations.
const (
	TextExact    TextMatch = "exact"
	TextContains TextMatch = "contains"
	TextRegex    TextMatch = "regex"
)

// BotExpect is what the next bot message must be. Only the parts that are set are checked.
type BotExpect struct {
	HasText  bool
	Match    TextMatch
	Text     string
	Regex    *regexp.Regexp // TextRegex
	Buttons  []string       // button titles, in order
	List     []string       // list row titles, in order
	Template string         // template name
	Media    chat.Kind      // media kind
}
