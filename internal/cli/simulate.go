package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wasla/wasla/channels/terminal"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
)

const simulateAbout = `
Chats with the flows under PATH in this terminal, as a WhatsApp contact would. Bot messages
are printed as they are sent; buttons and list rows are numbered, and you answer with the
number or the title. Lines that start with / are commands (/help lists them).

The clock is the simulator's own: it starts at --start and moves only with the burst window
and /time, which fires the timers (ask timeouts, waits, reminders) that fall due.

With standard input from a file or a pipe, the lines are a script: each is echoed after
"> ", and the simulator exits at the end of the input.`

const simulateHelp = `Commands:
  /reset              forget this contact's conversation (not the profile)
  /vars               show the session: mode, flow, step, tags and variables
  /contact ID         chat as another contact
  /time +DURATION     move the clock (30m, 25h, 2d) and fire the timers that fall due
  /image [CAPTION]    send an image (also /video, /audio, /document, /sticker)
  /location LAT LON   send a location
  /call [answered]    call the business number; the call ends unanswered (missed) or answered
  /burst              the lines that follow, up to an empty line, are sent as one burst
                      (separate messages within the burst window)
  /reload             load the flows again (the conversation goes on)
  /agent TEXT         play the agent of a handed-off conversation: reply with TEXT
                      (through the same window rules as the inbox)
  /release [STEP]     the agent gives the conversation back to the bot: at STEP (a flow,
                      flow.step or step id) at once, or for the next message
  /help               this list
  /quit               leave
Anything else is a message; a number or a title answers the buttons or list shown last.`

func runSimulate(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("simulate", "[flags] PATH...", simulateAbout, s)
	contact := fs.String("contact", string(flowtest.DefaultContact), "the contact `id` (wa_id) you chat as")
	name := fs.String("name", "", "the contact's WhatsApp profile `name`")
	number := fs.String("number", string(flowtest.DefaultNumber), "the business number `id` that receives your messages")
	redisURL := fs.String("redis", "", "Redis `URL` for state (default: an embedded in-memory store)")
	start := fs.String("start", "", "start the clock at this `time` (RFC 3339, such as 2026-01-05T09:00:00+03:00; default: now)")
	trace := fs.Bool("trace", false, "print every step the engine runs")
	mocksFile := fs.String("mocks", "", "answer http steps from this mocks `file` (default: the *.mocks.yaml files beside the flows)")
	liveHTTP := fs.Bool("live-http", false, "let http steps call the real endpoints even when a mocks file is present")
	rtlMarks := fs.Bool("rtl-marks", false, "start each right-to-left line with a right-to-left mark (U+200F), for terminals that do not reorder Arabic")
	cfgPath := fs.String("config", "", "route replies by the numbers and routing of this serve config `file`, as serve does (default --number: its inbox)")
	paths, code, ok := parsePaths(fs, args)
	if !ok {
		return code
	}
	now := time.Now().Truncate(time.Minute)
	if *start != "" {
		t, err := time.Parse(time.RFC3339, *start)
		if err != nil {
			fmt.Fprintf(s.Err, "wasla simulate: --start %q is not a time like 2026-01-05T09:00:00+03:00\n", *start)
			return exitUsage
		}
		now = t
	}

	var cfg *config.Config
	if *cfgPath != "" {
		if cfg, ok = loadConfig("simulate", *cfgPath, s.Err); !ok {
			return exitFail
		}
		if !numberSet(fs) {
			*number = cfg.Inbox().ID
		}
	}

	set, diags := flows.Load(paths...)
	if len(diags) > 0 {
		_ = diags.Print(s.Err)
	}
	if diags.HasErrors() || set == nil {
		errs, _ := diags.Count()
		fmt.Fprintf(s.Err, "wasla simulate: the flows have %s; fix them and try again\n", plural(errs, "error"))
		return exitFail
	}

	clk := clock.NewManual(now)
	st, closeStore, err := openStore(ctx, *redisURL, clk, s.Err)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla simulate: %v\n", err)
		return exitFail
	}
	defer closeStore()

	sim := &simulator{
		out:     s.Out,
		errOut:  s.Err,
		paths:   paths,
		contact: chat.ContactID(*contact),
		name:    *name,
		number:  chat.NumberID(*number),
		clock:   clk,
		choices: map[chat.ContactID][]terminal.Choice{},
		rtl:     *rtlMarks,
	}
	opts := engine.Options{
		Clock:  clk,
		Logger: slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: dropTime})),
	}
	if !*liveHTTP {
		doer, ok := simulatorMocks(paths, *mocksFile, s)
		if !ok {
			return exitFail
		}
		if doer != nil {
			opts.HTTP = doer
		}
	}
	opts.OnStep = func(c chat.ContactID, flow, step string) {
		sim.noteHandoffStep(c, flow, step)
		if *trace {
			sim.traceStep(c, flow, step)
		}
	}
	opts.OnError = sim.runtimeError
	sim.tap = &flowtest.HistoryTap{Store: st}
	eng, err := compose.Engine(set, sim.tap, sim, compose.Options{Engine: opts, Config: cfg})
	if err != nil {
		fmt.Fprintf(s.Err, "wasla simulate: %v\n", err)
		return exitFail
	}
	sim.eng = eng
	sim.drv = flowtest.NewDriver(sim.eng, clk)
	sim.drv.Track(sim.contact)
	sim.script = !isTerminal(s.In)
	return sim.run(ctx, s.In)
}

// numberSet reports whether --number was given.
func numberSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "number" })
	return set
}

// isTerminal reports whether r is a terminal a person types into, rather than a file or
// a pipe holding a script.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// simulator is one terminal chat. It is the engine's Sender: replies are printed as the
// engine sends them.
type simulator struct {
	out, errOut io.Writer
	paths       []string
	eng         *engine.Engine
	drv         *flowtest.Driver
	tap         *flowtest.HistoryTap // what each line did besides sending: hand-offs, returns, refusals
	clock       *clock.Manual
	script      bool
	rtl         bool // mark right-to-left lines (--rtl-marks)

	// burst holds the lines typed after /burst, sent together at the empty line that
	// ends them; collecting is true meanwhile.
	burst      []string
	collecting bool

	contact chat.ContactID
	name    string
	number  chat.NumberID
	media   int

	mu      sync.Mutex
	choices map[chat.ContactID][]terminal.Choice // of the last buttons or list message to each contact
	agent   bool                                 // the message being sent is the agent's (/agent)
	// handoffSteps are the hand-off steps run since the last line's history was shown: one
	// that handed nothing off went to its out_of_hours target.
	handoffSteps []string
}

// noteHandoffStep remembers a hand-off step the engine ran for the contact chatting.
func (sim *simulator) noteHandoffStep(c chat.ContactID, flow, step string) {
	if c != sim.contact {
		return
	}
	if f := sim.eng.Flows().Flows[flow]; f != nil {
		if st, _, ok := f.Step(step); ok && st.Kind == flows.StepHandoff {
			sim.mu.Lock()
			sim.handoffSteps = append(sim.handoffSteps, st.Handoff.Queue)
			sim.mu.Unlock()
		}
	}
}

// Send prints a bot message and remembers its buttons or rows for the next answer.
func (sim *simulator) Send(_ context.Context, msg chat.Outbound) error {
	sim.mu.Lock()
	defer sim.mu.Unlock()
	text, choices := terminal.Format(msg)
	if len(choices) > 0 {
		sim.choices[msg.To] = choices
	}
	prefix := "bot: "
	if sim.agent {
		prefix = "agent: "
	}
	if msg.To != sim.contact {
		prefix = fmt.Sprintf("bot → %s: ", msg.To)
	}
	out := terminal.Prefix(prefix, text)
	if sim.rtl {
		out = terminal.MarkRTL(out)
	}
	fmt.Fprintln(sim.out, sim.lineStart()+out)
	return nil
}

// runtimeError prints a run-time error of the flows where the conversation shows it, before
// the reply the customer gets for it.
func (sim *simulator) runtimeError(_ chat.ContactID, err *engine.RuntimeError) {
	sim.mu.Lock()
	defer sim.mu.Unlock()
	fmt.Fprintf(sim.out, "%s(run-time error: %v)\n", sim.lineStart(), err)
}

// clearLine returns a terminal's cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// lineStart is what goes before each line the bot prints. At a terminal, text the person
// typed ahead while the bot was busy is echoed where the cursor stands; erasing that line
// first puts every bot message on lines of its own, and the prompt is drawn again after
// the answer (the typed text stays in the input and is read next). A script gets nothing.
func (sim *simulator) lineStart() string {
	if sim.script {
		return ""
	}
	return clearLine
}

func (sim *simulator) traceStep(contact chat.ContactID, flow, step string) {
	sim.mu.Lock()
	defer sim.mu.Unlock()
	who := ""
	if contact != sim.contact {
		who = " (" + string(contact) + ")"
	}
	fmt.Fprintf(sim.out, "  · %s.%s%s\n", flow, step, who)
}

func (sim *simulator) run(ctx context.Context, in io.Reader) int {
	if !sim.script {
		fmt.Fprintf(sim.out, "wasla simulator: %s, as contact %s. /help lists the commands, /quit leaves.\n",
			strings.Join(sim.paths, " "), sim.contact)
	}
	lines := readLines(in)
	for {
		if !sim.script {
			fmt.Fprint(sim.out, "> ")
		}
		var line string
		var more bool
		select {
		case <-ctx.Done():
			fmt.Fprintln(sim.out)
			return exitOK
		case line, more = <-lines:
		}
		if !more {
			if sim.collecting {
				sim.sendBurst(ctx)
			}
			if !sim.script {
				fmt.Fprintln(sim.out)
			}
			return exitOK
		}
		line = strings.TrimRight(line, "\r")
		if sim.script {
			fmt.Fprintln(sim.out, strings.TrimRight("> "+line, " "))
		}
		if sim.collecting {
			if strings.TrimSpace(line) == "" {
				sim.sendBurst(ctx)
			} else {
				sim.burst = append(sim.burst, line)
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if quit := sim.handle(ctx, line); quit {
			return exitOK
		}
		sim.showHistory()
	}
}

// readLines reads in line by line on its own goroutine, so that an interrupt is noticed
// while waiting for a person to type. The goroutine ends at the end of input (a person
// typing Ctrl-D, a script's end) or with the process.
func readLines(in io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

// handle acts on one line; it returns true when the user asked to quit.
func (sim *simulator) handle(ctx context.Context, line string) bool {
	if !strings.HasPrefix(line, "/") {
		sim.say(ctx, line)
		return false
	}
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "/quit", "/exit", "/q":
		return true
	case "/help", "/?":
		fmt.Fprintln(sim.out, simulateHelp)
	case "/reset":
		if err := sim.eng.Reset(ctx, sim.contact); err != nil {
			sim.errorf("resetting the conversation: %v", err)
			break
		}
		sim.setChoices(sim.contact, nil)
		sim.note("conversation reset")
	case "/vars":
		sim.showVars(ctx)
	case "/contact":
		if arg == "" {
			sim.note("chatting as " + string(sim.contact) + "; /contact ID switches")
			break
		}
		sim.contact = chat.ContactID(arg)
		sim.drv.Track(sim.contact)
		sim.note("now chatting as " + arg)
	case "/time":
		d, err := flowtest.ParseDuration(arg)
		if err != nil {
			sim.errorf("/time: %v", err)
			break
		}
		if err := sim.drv.Advance(ctx, d); err != nil {
			sim.errorf("moving the clock: %v", err)
		}
		sim.note("clock: " + sim.timeText(sim.clock.Now()))
	case "/image", "/video", "/audio", "/document", "/sticker":
		sim.sendMedia(ctx, chat.Kind(strings.TrimPrefix(cmd, "/")), arg)
	case "/location":
		sim.sendLocation(ctx, arg)
	case "/call":
		switch arg {
		case "", flowtest.CallMissed, flowtest.CallAnswered:
			sim.send(ctx, flowtest.CallInbound(arg))
		default:
			sim.errorf("/call takes missed (the default) or answered")
		}
	case "/reload":
		sim.reload()
	case "/agent":
		sim.agentReply(ctx, arg)
	case "/release":
		if err := sim.drv.Release(ctx, sim.contact, arg); err != nil {
			sim.errorf("/release: %v", err)
			break
		}
		if err := sim.drv.Settle(ctx); err != nil {
			sim.errorf("%v", err)
		}
	case "/burst":
		sim.collecting, sim.burst = true, nil
		sim.note("burst: type the messages, then an empty line to send them")
	default:
		sim.errorf("unknown command %s; /help lists the commands", cmd)
	}
	return false
}

func (sim *simulator) note(msg string) { fmt.Fprintf(sim.out, "(%s)\n", msg) }

// agentReply plays the agent answering the handed-off conversation.
func (sim *simulator) agentReply(ctx context.Context, text string) {
	if text == "" {
		sim.errorf("/agent: write the agent's reply after it, such as /agent Hello, how can I help?")
		return
	}
	sim.mu.Lock()
	sim.agent = true
	sim.mu.Unlock()
	err := sim.drv.AgentReply(ctx, sim.contact, "agent", text)
	sim.mu.Lock()
	sim.agent = false
	sim.mu.Unlock()
	if err != nil {
		sim.errorf("/agent: %v", err)
	}
}

// showHistory says what the last line did besides the messages printed: a hand-off (and
// whether the queue is open now, or when it opens), a return to the bot and why, a reply
// that was not sent.
func (sim *simulator) showHistory() {
	sim.mu.Lock()
	ran := sim.handoffSteps
	sim.handoffSteps = nil
	sim.mu.Unlock()
	events := sim.tap.Take()
	handed := 0
	for _, ev := range events {
		if ev.Kind == chat.EventHandoff && (ev.Contact == "" || ev.Contact == sim.contact) {
			handed++
		}
	}
	if handed < len(ran) {
		// A hand-off step that handed nothing off found its queue closed and went to its
		// out_of_hours target.
		q := ran[len(ran)-1]
		msg := "queue " + q + " is closed: the flow went to the hand-off's out_of_hours instead"
		if at, ok := sim.eng.QueueSchedule(q).NextOpen(sim.clock.Now()); ok {
			msg += "; it opens " + sim.timeText(at)
		}
		sim.note(msg)
	}
	for _, ev := range events {
		if ev.Contact != "" && ev.Contact != sim.contact {
			continue
		}
		switch ev.Kind {
		case chat.EventHandoff:
			msg := "handed off to queue " + ev.Queue
			if sch := sim.eng.QueueSchedule(ev.Queue); sch != nil {
				if sch.Open(sim.clock.Now()) {
					msg += ", open now"
				} else if at, ok := sch.NextOpen(sim.clock.Now()); ok {
					msg += ", closed now: it opens " + sim.timeText(at)
				}
			}
			sim.note(msg + ". The bot is silent: /agent TEXT answers as the agent, /release gives it back")
		case chat.EventReturn:
			sim.note(returnNote(ev))
		case chat.EventRefused:
			sim.note("not sent: " + ev.Detail)
		}
	}
}

// returnNote says in words why a hand-off ended; the event's detail is "why: queue".
func returnNote(ev chat.Event) string {
	why := strings.TrimSuffix(ev.Detail, ": "+ev.Queue)
	switch why {
	case "agent":
		why = "the agent released it"
	case "bot word":
		why = "the customer asked for the bot"
	case "no agent reply":
		why = "no agent replied in time"
	case "opt-out":
		why = "the customer opted out"
	}
	if ev.Queue == "" {
		return "back with the bot: " + why
	}
	return "back with the bot from queue " + ev.Queue + ": " + why
}

func (sim *simulator) errorf(format string, args ...any) {
	fmt.Fprintf(sim.out, "(error: %s)\n", fmt.Sprintf(format, args...))
}

func (sim *simulator) setChoices(id chat.ContactID, cs []terminal.Choice) {
	sim.mu.Lock()
	sim.choices[id] = cs
	sim.mu.Unlock()
}

// say sends a typed line: a button or list reply when it names one of the choices last
// offered, text otherwise. While an ask step waits for its answer, a number is the
// answer, not a choice.
func (sim *simulator) say(ctx context.Context, line string) {
	sim.mu.Lock()
	choices := sim.choices[sim.contact]
	sim.mu.Unlock()
	if st, err := sim.eng.State(ctx, sim.contact); err == nil && st.Session.Await != nil && st.Session.Await.Kind == contact.AwaitAnswer {
		choices = nil
	}
	sim.send(ctx, terminal.Inbound(line, choices))
}

// sendBurst sends the lines collected after /burst one after another at one instant, as
// quick typing on a phone does, then lets the burst window pass: with burst_window set
// the engine answers them once, as one message.
func (sim *simulator) sendBurst(ctx context.Context) {
	lines := sim.burst
	sim.collecting, sim.burst = false, nil
	if len(lines) == 0 {
		sim.note("empty burst: nothing sent")
		return
	}
	sim.note(fmt.Sprintf("sending %s as one burst", plural(len(lines), "message")))
	for _, line := range lines {
		in := terminal.Inbound(line, nil)
		in.Contact, in.ProfileName, in.Number = sim.contact, sim.name, sim.number
		if err := sim.drv.Send(ctx, in); err != nil {
			sim.errorf("%v", err)
			return
		}
	}
	if err := sim.drv.Settle(ctx); err != nil {
		sim.errorf("%v", err)
	}
}

func (sim *simulator) send(ctx context.Context, in chat.Inbound) {
	in.Contact, in.ProfileName, in.Number = sim.contact, sim.name, sim.number
	if err := sim.drv.Send(ctx, in); err != nil {
		sim.errorf("%v", err)
		return
	}
	if err := sim.drv.Settle(ctx); err != nil {
		sim.errorf("%v", err)
	}
}

func (sim *simulator) sendMedia(ctx context.Context, kind chat.Kind, caption string) {
	sim.media++
	sim.send(ctx, chat.Inbound{
		Kind:  kind,
		Text:  caption,
		Media: &chat.Media{ID: fmt.Sprintf("sim-media-%d", sim.media), MimeType: flowtest.MIMEType(kind), Caption: caption},
	})
}

func (sim *simulator) sendLocation(ctx context.Context, arg string) {
	parts := strings.FieldsFunc(arg, func(r rune) bool { return r == ' ' || r == ',' })
	if len(parts) != 2 {
		sim.errorf("/location takes a latitude and a longitude, such as /location 24.7 46.7")
		return
	}
	lat, err1 := strconv.ParseFloat(parts[0], 64)
	lon, err2 := strconv.ParseFloat(parts[1], 64)
	if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		sim.errorf("/location takes a latitude (±90) and a longitude (±180), such as /location 24.7 46.7")
		return
	}
	sim.send(ctx, chat.Inbound{Kind: chat.KindLocation, Location: &chat.Location{Latitude: lat, Longitude: lon}})
}

func (sim *simulator) reload() {
	set, diags := flows.Load(sim.paths...)
	if len(diags) > 0 {
		_ = diags.Print(sim.out)
	}
	if diags.HasErrors() || set == nil {
		sim.note("flows not reloaded: fix the errors above; the old flows keep running")
		return
	}
	sim.eng.SetFlows(set)
	sim.note(fmt.Sprintf("flows reloaded: %s", plural(len(set.Flows), "flow")))
}

// timeText shows t in the flows' time zone, as their expressions see it.
func (sim *simulator) timeText(t time.Time) string {
	tz := sim.eng.Flows().Settings.Timezone
	if tz == nil {
		tz = time.UTC
	}
	return t.In(tz).Format("Mon 2006-01-02 15:04 MST")
}

// showVars prints the contact's session: mode, flow and step, what it waits for, tags,
// timers, then the variables sorted by name with JSON values (so "3" and 3 differ).
func (sim *simulator) showVars(ctx context.Context) {
	st, err := sim.eng.State(ctx, sim.contact)
	if err != nil {
		sim.errorf("loading the session: %v", err)
		return
	}
	ss := st.Session
	mode := string(ss.Mode)
	if mode == "" {
		mode = string(contact.ModeBot)
	}
	if ss.Mode == contact.ModeHuman && ss.Queue != "" {
		mode += " (queue " + ss.Queue + ")"
	}
	flow, step := ss.Flow, ss.Step
	if flow == "" {
		flow, step = "-", "-"
	}
	fmt.Fprintf(sim.out, "contact: %s", st.Contact.ID)
	if st.Contact.Name != "" {
		fmt.Fprintf(sim.out, " (%s)", st.Contact.Name)
	}
	if st.Contact.OptedOut {
		fmt.Fprint(sim.out, ", opted out")
	}
	fmt.Fprintf(sim.out, "\nmode: %s  flow: %s  step: %s\n", mode, flow, step)
	if ss.Await != nil {
		fmt.Fprintf(sim.out, "waiting for: %s at %s.%s\n", ss.Await.Kind, ss.Await.Flow, ss.Await.Step)
	}
	tags := "-"
	if len(st.Contact.Tags) > 0 {
		tags = strings.Join(st.Contact.Tags, ", ")
	}
	fmt.Fprintf(sim.out, "tags: %s\n", tags)
	for _, t := range ss.Timers {
		fmt.Fprintf(sim.out, "timer: %s at %s\n", t.Kind, sim.timeText(t.Due))
	}
	if len(ss.Vars) == 0 {
		fmt.Fprintln(sim.out, "vars: -")
		return
	}
	fmt.Fprintln(sim.out, "vars:")
	names := make([]string, 0, len(ss.Vars))
	for k := range ss.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v, err := json.Marshal(ss.Vars[k])
		if err != nil {
			v = []byte(fmt.Sprint(ss.Vars[k]))
		}
		fmt.Fprintf(sim.out, "  %s = %s\n", k, v)
	}
}

// simulatorMocks loads the mocks that answer http steps in the simulator: the file given,
// or every *.mocks.yaml file in the flow folders. It returns nil when there are none (http
// steps then call the real endpoints), and false after printing the problems of a broken
// mocks file.
func simulatorMocks(paths []string, file string, s Streams) (engine.HTTPDoer, bool) {
	files := []string{file}
	if file == "" {
		var err error
		if files, err = findMocksFiles(paths); err != nil {
			fmt.Fprintf(s.Err, "wasla simulate: %v\n", err)
			return nil, false
		}
	}
	if len(files) == 0 {
		return nil, true
	}
	var all []*flowtest.Mock
	for _, f := range files {
		mocks, diags := flowtest.ReadMocks(f)
		if len(diags) > 0 {
			_ = diags.Print(s.Err)
			return nil, false
		}
		all = append(all, mocks...)
	}
	fmt.Fprintf(s.Err, "wasla: http steps are answered from %s (--live-http calls the real endpoints)\n", strings.Join(files, ", "))
	return flowtest.NewMockDoer(all), true
}

// dropTime leaves the wall-clock time out of the simulator's log lines: the conversation
// runs on the simulator's own clock, and a transcript should read the same every run.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
