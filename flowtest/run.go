package flowtest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/wasla/wasla/channels/terminal"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
)

// RunOptions configure one run of a test.
type RunOptions struct {
	// NewStore returns the store for one test, measuring time (session expiry, history
	// retention) by the test's clock. It must be fresh: each test starts from nothing but
	// what it declares.
	NewStore func(clk clock.Clock) (engine.Store, error)
	// Logger receives the engine's logs; nil discards them.
	Logger *slog.Logger
	// OnStep, when set, is told of every step the engine runs (see Coverage.Track).
	OnStep func(flow, step string)
	// Config, when set, supplies the business numbers and routing policies of serve: the
	// engine routes replies as production does (window refusals, inbox invitations), and
	// a test that names no number writes to the configured inbox.
	Config *config.Config
}

// Result is the outcome of one test.
type Result struct {
	Test *Test
	// Failure is nil when the test passed.
	Failure *Failure
	// Transcript is the conversation as the terminal would show it: user turns as "> ...",
	// bot messages as "bot: ...", clock moves as "(time +25h)".
	Transcript []string
}

// Passed reports whether the test passed.
func (r *Result) Passed() bool { return r.Failure == nil }

// Failure is why a test failed: the step and what differed. A test stops at its first
// failure; what follows would only repeat it.
type Failure struct {
	Pos flows.Pos
	Msg string // one line, or a first line followed by indented want/got lines
}

func (f *Failure) String() string {
	return fmt.Sprintf("%s:%d: %s", f.Pos.File, f.Pos.Line, f.Msg)
}

// Run plays t against set on a store from opts.NewStore and reports the first expectation
// that fails. Errors around the test (a broken store, say) are failures too: the caller
// always gets a Result.
func Run(ctx context.Context, set *flows.Set, t *Test, opts RunOptions) *Result {
	r := &runner{test: t, res: &Result{Test: t}, mocks: newMockDoer(t.Mocks), number: t.Number}
	if opts.Config != nil && t.Number == DefaultNumber {
		if inbox := opts.Config.Inbox().ID; inbox != "" {
			r.number = chat.NumberID(inbox)
		}
	}
	r.rec = &recorder{contact: t.Contact.ID, log: r.log}
	clk := clock.NewManual(t.Start)
	if opts.NewStore == nil {
		r.fail(t.Pos, "no store to run on")
		return r.res
	}
	store, err := opts.NewStore(clk)
	if err != nil {
		r.fail(t.Pos, "opening the store: %v", err)
		return r.res
	}
	r.tap = &HistoryTap{Store: store}
	store = r.tap
	if err := seed(ctx, store, t); err != nil {
		r.fail(t.Pos, "setting up the contact: %v", err)
		return r.res
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var onStep func(chat.ContactID, string, string)
	if opts.OnStep != nil {
		onStep = func(_ chat.ContactID, flow, step string) { opts.OnStep(flow, step) }
	}
	onError := func(_ chat.ContactID, err *engine.RuntimeError) {
		r.errMu.Lock()
		r.errs = append(r.errs, err)
		r.errMu.Unlock()
		r.log("(error: " + err.Error() + ")")
	}
	eng, err := compose.Engine(set, store, r.rec, compose.Options{
		Engine: engine.Options{Clock: clk, HTTP: r.mocks, Logger: logger, OnStep: onStep, OnError: onError},
		Config: opts.Config,
	})
	if err != nil {
		r.fail(t.Pos, "building the engine: %v", err)
		return r.res
	}
	r.eng = eng
	r.drv = NewDriver(eng, clk)
	r.drv.Track(t.Contact.ID)
	for _, st := range t.Steps {
		if !r.step(ctx, st) {
			return r.res
		}
	}
	if err := r.drv.Settle(ctx); err != nil {
		r.fail(t.Pos, "engine: %v", err)
		return r.res
	}
	if r.checkMocks(t.Pos) {
		r.unexpectedErrors()
	}
	return r.res
}

// seed stores what the test says about the contact before the conversation starts.
func seed(ctx context.Context, store engine.Store, t *Test) error {
	c := t.Contact
	if c.Name == "" && c.Language == "" && len(c.Tags) == 0 && len(t.Vars) == 0 {
		return nil
	}
	st, err := store.Load(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("loading contact %s: %w", c.ID, err)
	}
	st.Contact.ID = c.ID
	st.Contact.Name = c.Name
	st.Contact.Language = c.Language
	st.Contact.Tags = append([]string(nil), c.Tags...)
	if len(t.Vars) > 0 {
		st.Session.Vars = map[string]any{}
		for k, v := range t.Vars {
			st.Session.Vars[k] = v
		}
	}
	if err := store.Commit(ctx, st, nil); err != nil {
		return fmt.Errorf("storing contact %s: %w", c.ID, err)
	}
	return nil
}

type runner struct {
	agent  string      // the agent of the last agent_claim
	tap    *HistoryTap // the history of the latest commits, for why an agent's reply was refused
	test   *Test
	number chat.NumberID // the number the contact writes to
	res    *Result
	eng    *engine.Engine
	drv    *Driver
	rec    *recorder
	mocks  *mockDoer
	media  int

	errMu    sync.Mutex
	errs     []*engine.RuntimeError // run-time errors no error: step has taken yet
	lastTurn flows.Pos              // the user turn or clock move that ran last
}

// unexpectedErrors fails the test when a run-time error happened that no error: step
// took: a flow that fails on WhatsApp must not pass its test. It reports whether the test
// still passes.
func (r *runner) unexpectedErrors() bool {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if len(r.errs) == 0 {
		return true
	}
	pos := r.lastTurn
	if pos.File == "" {
		pos = r.test.Pos
	}
	r.fail(pos, "a run-time error happened: %v\n    fix the flow, or expect it with an `error:` step (docs/testing.md)", r.errs[0])
	return false
}

// expectError takes the oldest run-time error for an error: step.
func (r *runner) expectError(st *Step) bool {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if len(r.errs) == 0 {
		r.fail(st.Pos, "want a run-time error (%s), none happened", renderText(st.Error))
		return false
	}
	err := r.errs[0]
	r.errs = r.errs[1:]
	if reason := checkText(st.Error, err.Error()); reason != "" {
		r.fail(st.Pos, "the run-time error differs: %s\n    want: %s\n     got: %s", reason, renderText(st.Error), err.Error())
		return false
	}
	return true
}

func (r *runner) log(line string) { r.res.Transcript = append(r.res.Transcript, line) }

func (r *runner) fail(pos flows.Pos, format string, args ...any) {
	r.res.Failure = &Failure{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// step runs one test step; it returns false when the test failed.
func (r *runner) step(ctx context.Context, st *Step) bool {
	switch {
	case st.Kind.IsTurn() || st.Kind == StepTime || st.Kind.IsAgent():
		// Not settled first: a turn may join a burst still being collected.
		if !r.unexpectedErrors() {
			return false
		}
		r.lastTurn = st.Pos
	}
	switch {
	case st.Kind.IsTurn():
		in, ok := r.inbound(st)
		if !ok {
			return false
		}
		r.rec.skip()
		r.log("> " + describeTurn(st, in))
		if err := r.drv.Send(ctx, in); err != nil {
			r.fail(st.Pos, "engine: %v", err)
			return false
		}
		return r.checkMocks(st.Pos)
	case st.Kind.IsAgent():
		return r.agentStep(ctx, st)
	case st.Kind == StepTime:
		r.rec.skip()
		r.log(fmt.Sprintf("(time +%s)", strings.TrimPrefix(st.Text, "+")))
		if err := r.drv.Advance(ctx, st.Advance); err != nil {
			r.fail(st.Pos, "engine: %v", err)
			return false
		}
		return r.checkMocks(st.Pos)
	}
	if err := r.drv.Settle(ctx); err != nil {
		r.fail(st.Pos, "engine: %v", err)
		return false
	}
	if !r.checkMocks(st.Pos) {
		return false
	}
	if st.Kind == StepBot {
		return r.expectBot(st)
	}
	if st.Kind == StepError {
		return r.expectError(st)
	}
	if st.Kind == StepNoReply {
		if left := r.rec.rest(); len(left) > 0 {
			r.fail(st.Pos, "want no more bot messages, got %d:%s", len(left), renderMessages(left))
			return false
		}
		return true
	}
	state, err := r.eng.State(ctx, r.test.Contact.ID)
	if err != nil {
		r.fail(st.Pos, "loading the contact's state: %v", err)
		return false
	}
	return r.expectState(st, state)
}

// inbound builds the message of a user turn.
func (r *runner) inbound(st *Step) (chat.Inbound, bool) {
	in := chat.Inbound{
		Contact:     r.test.Contact.ID,
		ProfileName: r.test.Contact.Name,
		Number:      r.number,
		Campaign:    r.test.Campaign,
	}
	switch st.Kind {
	case StepUser:
		in.Kind, in.Text = chat.KindText, st.Text
	case StepPress, StepChoose:
		kind, msgKind, what := chat.KindButtonReply, chat.KindButtons, "button"
		if st.Kind == StepChoose {
			kind, msgKind, what = chat.KindListReply, chat.KindList, "list row"
		}
		c, found, offered := r.rec.findChoice(msgKind, st.Text)
		switch {
		case found:
			in.Kind, in.ReplyID, in.Text = kind, c.ID, c.Title
		case offered != nil:
			r.fail(st.Pos, "%s %q: the bot offered no %s with that id or title; the last one offered %s",
				st.Kind, st.Text, what, describeChoices(offered))
			return in, false
		default:
			// No such message was sent in this test: the reply answers an older one, as a
			// press on a campaign template's quick reply does.
			in.Kind, in.ReplyID, in.Text = kind, st.Text, st.Text
		}
	case StepMedia:
		r.media++
		in.Kind = st.MediaKind
		in.Text = st.Text
		in.Media = &chat.Media{ID: fmt.Sprintf("media-%d", r.media), MimeType: MIMEType(st.MediaKind), Caption: st.Text}
	case StepLocation:
		loc := st.Location
		in.Kind, in.Location = chat.KindLocation, &loc
	case StepCall:
		call := CallInbound(st.Text)
		in.Kind, in.Call = call.Kind, call.Call
	}
	return in, true
}

// The values of a call turn.
const (
	CallMissed   = "missed"
	CallAnswered = "answered"
)

// CallInbound is the end of a call a simulated user placed (in a conversation test or the
// simulator), as the calls webhook reports it: outcome CallMissed (nobody answered) or
// CallAnswered (a minute long). Its id is left to the Driver.
func CallInbound(outcome string) chat.Inbound {
	c := &chat.Call{ID: "wacid.local", Event: chat.CallTerminate, Direction: chat.CallUserInitiated, Status: "FAILED"}
	if outcome == CallAnswered {
		c.Status, c.Duration = "COMPLETED", 60
	}
	return chat.Inbound{Kind: chat.KindCall, Call: c}
}

// MIMEType is the MIME type of the media of kind a simulated user sends (in a
// conversation test or the simulator): the common one for the kind, "" for a kind that is
// not media.
func MIMEType(kind chat.Kind) string {
	switch kind {
	case chat.KindImage:
		return "image/jpeg"
	case chat.KindAudio:
		return "audio/ogg"
	case chat.KindVideo:
		return "video/mp4"
	case chat.KindDocument:
		return "application/pdf"
	case chat.KindSticker:
		return "image/webp"
	}
	return ""
}

func describeTurn(st *Step, in chat.Inbound) string {
	switch st.Kind {
	case StepPress, StepChoose:
		return fmt.Sprintf("[%s]", in.Text)
	case StepMedia:
		if in.Text != "" {
			return fmt.Sprintf("[%s] %s", in.Kind, in.Text)
		}
		return fmt.Sprintf("[%s]", in.Kind)
	case StepLocation:
		return fmt.Sprintf("[location %g,%g]", in.Location.Latitude, in.Location.Longitude)
	case StepCall:
		return fmt.Sprintf("[call %s]", st.Text)
	}
	return in.Text
}

func describeChoices(cs []terminal.Choice) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%q (id %s)", c.Title, c.ID)
	}
	return strings.Join(parts, ", ")
}

func (r *runner) expectBot(st *Step) bool {
	want := renderExpect(st.Bot)
	msg, ok := r.rec.next()
	if !ok {
		r.fail(st.Pos, "want a bot message, got none\n%s\n    got:  no message", terminal.Prefix("    want: ", want))
		return false
	}
	if reason := checkBot(st.Bot, msg); reason != "" {
		got, _ := terminal.Format(msg)
		r.fail(st.Pos, "bot message differs: %s\n%s\n%s", reason, terminal.Prefix("    want: ", want), terminal.Prefix("    got:  ", got))
		return false
	}
	return true
}

func (r *runner) expectState(st *Step, state *contact.State) bool {
	switch st.Kind {
	case StepVars:
		for _, v := range st.Vars {
			got, ok := state.Session.Vars[v.Name]
			if !ok {
				r.fail(v.Pos, "variable %s is not set\n    want: %s\n    got:  not set%s", v.Name, showValue(v.Value), setVars(state))
				return false
			}
			if !sameValue(v.Value, got) {
				r.fail(v.Pos, "variable %s differs\n    want: %s\n    got:  %s", v.Name, showValue(v.Value), showValue(got))
				return false
			}
		}
	case StepNoVars:
		for _, name := range st.Tags {
			if got, ok := state.Session.Vars[name]; ok {
				r.fail(st.Pos, "variable %s is set\n    want: not set\n    got:  %s", name, showValue(got))
				return false
			}
		}
	case StepTags:
		for _, tag := range st.Tags {
			if !state.Contact.HasTag(tag) {
				r.fail(st.Pos, "the contact has no tag %q\n    want: %s\n    got:  %s", tag, showValue(st.Tags), showValue(tagsOf(state)))
				return false
			}
		}
	case StepNoTags:
		for _, tag := range st.Tags {
			if state.Contact.HasTag(tag) {
				r.fail(st.Pos, "the contact has tag %q\n    want none of: %s\n    got:  %s", tag, showValue(st.Tags), showValue(tagsOf(state)))
				return false
			}
		}
	case StepHandoff:
		s := state.Session
		human := s.Mode == contact.ModeHuman
		switch {
		case st.Human && !human:
			r.fail(st.Pos, "the conversation was not handed off\n    want: human mode%s\n    got:  bot mode, flow %q step %q", onQueue(st.Queue), s.Flow, s.Step)
			return false
		case st.Human && st.Queue != "" && s.Queue != st.Queue:
			r.fail(st.Pos, "the conversation was handed off to another queue\n    want: %s\n    got:  %s", st.Queue, s.Queue)
			return false
		case !st.Human && human:
			r.fail(st.Pos, "the conversation is with a human\n    want: bot mode\n    got:  human mode%s", onQueue(s.Queue))
			return false
		}
	case StepOptedOut:
		if state.Contact.OptedOut != st.OptedOut {
			r.fail(st.Pos, "opted_out differs\n    want: %t\n    got:  %t", st.OptedOut, state.Contact.OptedOut)
			return false
		}
	}
	return true
}

func onQueue(q string) string {
	if q == "" {
		return ""
	}
	return " on queue " + q
}

func tagsOf(st *contact.State) []string {
	if st.Contact.Tags == nil {
		return []string{}
	}
	return st.Contact.Tags
}

func setVars(st *contact.State) string {
	if len(st.Session.Vars) == 0 {
		return " (no variables are set)"
	}
	return " (set: " + strings.Join(sortedKeys(st.Session.Vars), ", ") + ")"
}

// checkMocks fails the test when an http step asked for something the test did not mock.
func (r *runner) checkMocks(pos flows.Pos) bool {
	missed := r.mocks.takeUnmatched()
	if len(missed) == 0 {
		return true
	}
	r.fail(pos, "an http step made a request that has no mock: %s\n    add it under mocks:, such as\n      %q: { ok: true }\n    (%s)",
		strings.Join(missed, ", "), missed[0], r.mocks.describe())
	return false
}

func renderMessages(msgs []chat.Outbound) string {
	var b strings.Builder
	for _, m := range msgs {
		text, _ := terminal.Format(m)
		b.WriteString("\n" + terminal.Prefix("    bot: ", text))
	}
	return b.String()
}

// recorder is the test's Sender: it keeps the bot's messages, and which of them `bot:`
// steps have consumed.
type recorder struct {
	contact chat.ContactID
	log     func(string)
	agent   string // while set, messages sent are this agent's, not the bot's

	mu   sync.Mutex
	msgs []chat.Outbound
	read int // messages before this index are consumed or skipped
}

func (rc *recorder) Send(_ context.Context, msg chat.Outbound) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.msgs = append(rc.msgs, msg)
	text, _ := terminal.Format(msg)
	prefix := "bot: "
	if rc.agent != "" {
		prefix = "agent " + rc.agent + ": "
	}
	if msg.To != rc.contact {
		prefix = fmt.Sprintf("bot → %s: ", msg.To)
	}
	rc.log(terminal.Prefix(prefix, text))
	return nil
}

// as marks the messages sent from now on as the agent's ("" : the bot's again).
func (rc *recorder) as(agent string) {
	rc.mu.Lock()
	rc.agent = agent
	rc.mu.Unlock()
}

// next consumes the next message.
func (rc *recorder) next() (chat.Outbound, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.read >= len(rc.msgs) {
		return chat.Outbound{}, false
	}
	rc.read++
	return rc.msgs[rc.read-1], true
}

// rest returns the messages no step consumed.
func (rc *recorder) rest() []chat.Outbound {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]chat.Outbound(nil), rc.msgs[rc.read:]...)
}

// skip lets the messages nobody checked go: a new user turn or clock move starts a new
// exchange, and only `no_reply` insists on silence.
func (rc *recorder) skip() {
	rc.mu.Lock()
	rc.read = len(rc.msgs)
	rc.mu.Unlock()
}

// findChoice finds the button (or list row) named by id or title, newest message first.
// When none matches, offered is the newest message's choices (nil if no such message was
// sent, or a template came after it).
func (rc *recorder) findChoice(kind chat.Kind, name string) (c terminal.Choice, found bool, offered []terminal.Choice) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.msgs) - 1; i >= 0; i-- {
		m := rc.msgs[i]
		if m.Kind == chat.KindTemplate && offered == nil {
			// A template's quick-reply buttons are not part of the message we see; a press
			// after one answers it, whatever its id.
			return terminal.Choice{}, false, nil
		}
		if m.Kind != kind {
			continue
		}
		choices := terminal.Choices(m)
		if offered == nil {
			offered = choices
		}
		for _, ch := range choices {
			if ch.ID == name {
				return ch, true, nil
			}
		}
		for _, ch := range choices {
			if strings.EqualFold(strings.TrimSpace(ch.Title), strings.TrimSpace(name)) {
				return ch, true, nil
			}
		}
	}
	return terminal.Choice{}, false, offered
}

// agentStep plays the agent's side of a hand-off: claim, reply, release.
func (r *runner) agentStep(ctx context.Context, st *Step) bool {
	if err := r.drv.Settle(ctx); err != nil {
		r.fail(st.Pos, "engine: %v", err)
		return false
	}
	r.rec.skip()
	id := r.test.Contact.ID
	state, err := r.eng.State(ctx, id)
	if err != nil {
		r.fail(st.Pos, "loading the contact's state: %v", err)
		return false
	}
	if state.Session.Mode != contact.ModeHuman {
		r.fail(st.Pos, "%s: the conversation is with the bot (flow %q step %q), not handed off to a queue", st.Kind, state.Session.Flow, state.Session.Step)
		return false
	}
	switch st.Kind {
	case StepAgentClaim:
		r.agent = cmp.Or(st.Text, "agent")
		r.log(fmt.Sprintf("(agent %s claims the conversation on queue %s)", r.agent, state.Session.Queue))
		return true
	case StepAgent:
		agent := cmp.Or(r.agent, "agent")
		r.tap.Take()
		r.rec.as(agent)
		err := r.drv.AgentReply(ctx, id, agent, st.Text)
		r.rec.as("")
		if err != nil {
			r.fail(st.Pos, "engine: %v", err)
			return false
		}
		r.rec.skip() // the agent's own message is no bot message to check
		for _, ev := range r.tap.Take() {
			if ev.Kind == chat.EventRefused && ev.Outbound != nil && ev.Outbound.Text == st.Text {
				r.fail(st.Pos, "the agent's reply was not sent: %s", ev.Detail)
				return false
			}
		}
		return true
	default: // StepAgentRelease
		where := "for the next message"
		if st.Text != "" {
			where = "at " + st.Text
		}
		r.log(fmt.Sprintf("(agent %s releases the conversation to the bot %s)", cmp.Or(r.agent, "agent"), where))
		if err := r.drv.Release(ctx, id, st.Text); err != nil {
			r.fail(st.Pos, "agent_release: %v", err)
			return false
		}
		r.agent = ""
		return r.checkMocks(st.Pos)
	}
}

// HistoryTap is a Store that keeps the history of the commits since the last Take, so
// that a test or the simulator can say what happened besides the messages sent: a reply
// refused and why, a hand-off, a return to the bot.
type HistoryTap struct {
	engine.Store
	mu     sync.Mutex
	events []chat.Event
}

// Commit commits through the store and keeps the history.
func (h *HistoryTap) Commit(ctx context.Context, st *engine.State, history []chat.Event) error {
	if err := h.Store.Commit(ctx, st, history); err != nil {
		return err
	}
	h.mu.Lock()
	h.events = append(h.events, history...)
	h.mu.Unlock()
	return nil
}

// Take returns the history kept since the last Take.
func (h *HistoryTap) Take() []chat.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.events
	h.events = nil
	return out
}
