package engine

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/normalize"
)

// action is what the step runner does after a step.
type action int

const (
	actNext action = iota // the step's continuation
	actJump               // the returned target
	actWait               // stop: the session waits for input or a timer
	actStop               // stop: the conversation ended or failed
)

// env builds the expression environment for the current moment of the run.
func (r *run) env() *flows.Env {
	c := &r.st.Contact
	s := r.sess()
	if s.Vars == nil {
		s.Vars = map[string]any{}
	}
	mode := s.Mode
	if mode == "" {
		mode = ModeBot
	}
	env := &flows.Env{
		Budget: r.e.opts.ExprBudget,
		Vars:   s.Vars,
		Number: string(c.LastNumber),
		Now:    r.now,
		Open:   r.l.hours != nil && r.l.hours.Open(r.now),
		Contact: flows.ContactEnv{
			ID: string(c.ID), Name: c.Name, Language: c.Language,
			Tags: c.Tags, Attrs: c.Attrs, OptedOut: c.OptedOut,
		},
		Session: flows.SessionEnv{
			Flow: s.Flow, Step: s.Step, Mode: string(mode),
			Started: s.Started, LastInbound: s.LastInbound,
		},
	}
	if s.Await != nil {
		env.Session.Retries = s.Await.Retries
	}
	if m := r.msg; m != nil {
		env.Message = flows.MessageEnv{
			ID: m.ID, Kind: string(m.Kind), Text: m.Text, Folded: r.folded,
			ReplyID: m.ReplyID,
		}
		if m.Media != nil {
			env.Message.MediaID, env.Message.MimeType = m.Media.ID, m.Media.MimeType
		}
		env.Campaign = m.Campaign
		if m.Number != "" {
			env.Number = string(m.Number)
		}
	}
	return env
}

// fail ends the conversation after a run-time error in a flow: it is recorded in the
// history and logged, and the contact's next message starts afresh.
func (r *run) fail(err error) {
	r.e.log.Warn("flow step failed", slog.String("flow", r.sess().Flow), slog.String("step", r.sess().Step), slog.Any("error", err))
	r.record(chat.Event{Kind: chat.EventError, Flow: r.sess().Flow, Step: r.sess().Step, Detail: err.Error()})
	r.endSession()
}

func (r *run) render(t *flows.Template) (string, error) {
	if t == nil {
		return "", nil
	}
	return t.Render(r.env())
}

// jump continues the conversation at a target.
func (r *run) jump(t flows.Target) error {
	f := r.l.set.Flows[t.Flow]
	if f == nil {
		r.fail(fmt.Errorf("flow %q does not exist (the flows were reloaded?)", t.Flow))
		return nil
	}
	i := 0
	if t.Step != "" {
		var ok bool
		if _, i, ok = f.Step(t.Step); !ok {
			r.fail(fmt.Errorf("step %q of flow %q does not exist (the flows were reloaded?)", t.Step, t.Flow))
			return nil
		}
	}
	return r.runFrom(f, i)
}

// continueAfter runs whatever follows a step that finished waiting.
func (r *run) continueAfter(flow, step string) error {
	f := r.l.set.Flows[flow]
	if f == nil {
		r.fail(fmt.Errorf("flow %q does not exist (the flows were reloaded?)", flow))
		return nil
	}
	st, i, ok := f.Step(step)
	if !ok {
		r.fail(fmt.Errorf("step %q of flow %q does not exist (the flows were reloaded?)", step, flow))
		return nil
	}
	if !st.Next.IsZero() {
		return r.jump(st.Next)
	}
	return r.runFrom(f, i+1)
}

// runFrom runs steps from f.Steps[i] until one waits, the conversation ends, or the step
// limit stops a loop.
func (r *run) runFrom(f *flows.Flow, i int) error {
	s := r.sess()
	limit := r.l.set.Settings.MaxSteps
	if limit <= 0 {
		limit = 100
	}
	for {
		if i >= len(f.Steps) {
			if len(s.Stack) == 0 {
				r.endSession()
				return nil
			}
			top := s.Stack[len(s.Stack)-1]
			s.Stack = s.Stack[:len(s.Stack)-1]
			caller := r.l.set.Flows[top.Flow]
			if caller == nil {
				r.fail(fmt.Errorf("flow %q does not exist (the flows were reloaded?)", top.Flow))
				return nil
			}
			st, j, ok := caller.Step(top.Step)
			if !ok {
				r.fail(fmt.Errorf("step %q of flow %q does not exist", top.Step, top.Flow))
				return nil
			}
			f = caller
			s.Flow, s.Step = f.Name, st.ID
			if !st.Next.IsZero() {
				return r.jump(st.Next)
			}
			i = j + 1
			continue
		}
		step := f.Steps[i]
		r.steps++
		if r.steps > limit {
			r.fail(fmt.Errorf("%w: stopped after %d steps at %s:%d (flow %q, step %q); add an ask, buttons or wait to the loop",
				ErrStepLimit, limit, step.Pos.File, step.Pos.Line, f.Name, step.ID))
			return nil
		}
		s.Flow, s.Step = f.Name, step.ID
		if r.e.opts.OnStep != nil {
			r.e.opts.OnStep(r.st.Contact.ID, f.Name, step.ID)
		}
		r.e.log.Debug("step", slog.String("flow", f.Name), slog.String("step", step.ID), slog.String("kind", string(step.Kind)))
		act, target, err := r.exec(f, step)
		if err != nil {
			r.fail(fmt.Errorf("%s:%d: step %q: %w", step.Pos.File, step.Pos.Line, step.ID, err))
			return nil
		}
		switch act {
		case actWait, actStop:
			return nil
		case actJump:
			if target.IsZero() {
				break
			}
			return r.jump(target)
		}
		if !step.Next.IsZero() {
			return r.jump(step.Next)
		}
		i++
	}
}

// exec runs one step. An error is a run-time fault of the flow (an expression that failed
// on this data, say); it ends the conversation and is recorded.
func (r *run) exec(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	s := r.sess()
	switch st.Kind {
	case flows.StepSay:
		text, err := r.render(st.Say)
		if err != nil {
			return 0, flows.Target{}, err
		}
		r.say(text)
	case flows.StepButtons:
		if err := r.sendButtons(st.Buttons); err != nil {
			return 0, flows.Target{}, err
		}
		if st.Buttons.Await {
			r.await(AwaitChoice, f, st, st.Buttons.Timeout)
			return actWait, flows.Target{}, nil
		}
	case flows.StepList:
		if err := r.sendList(st.List); err != nil {
			return 0, flows.Target{}, err
		}
		if st.List.Await {
			r.await(AwaitChoice, f, st, st.List.Timeout)
			return actWait, flows.Target{}, nil
		}
	case flows.StepTemplate:
		tm := &chat.Template{Name: st.Template.Name, Language: st.Template.Language}
		for _, p := range st.Template.Params {
			v, err := r.render(p)
			if err != nil {
				return 0, flows.Target{}, err
			}
			tm.Params = append(tm.Params, v)
		}
		r.reply(chat.Outbound{Kind: chat.KindTemplate, Template: tm})
	case flows.StepMedia:
		m := st.Media
		url, err := r.render(m.URL)
		if err != nil {
			return 0, flows.Target{}, err
		}
		caption, err := r.render(m.Caption)
		if err != nil {
			return 0, flows.Target{}, err
		}
		r.reply(chat.Outbound{Kind: chat.Kind(m.Kind), Media: &chat.Media{ID: m.ID, URL: url, Caption: caption, Filename: m.Filename}})
	case flows.StepAsk:
		prompt, err := r.render(st.Ask.Prompt)
		if err != nil {
			return 0, flows.Target{}, err
		}
		r.say(prompt)
		r.await(AwaitAnswer, f, st, st.Ask.Timeout)
		return actWait, flows.Target{}, nil
	case flows.StepSet:
		for _, a := range st.Set {
			v, err := a.Value.Eval(r.env())
			if err != nil {
				return 0, flows.Target{}, err
			}
			r.assign(a.Name, v)
		}
	case flows.StepIf:
		ok, err := st.If.Cond.EvalBool(r.env())
		if err != nil {
			return 0, flows.Target{}, err
		}
		if ok {
			return actJump, st.If.Then, nil
		}
		return actJump, st.If.Else, nil
	case flows.StepSwitch:
		v, err := st.Switch.Value.Eval(r.env())
		if err != nil {
			return 0, flows.Target{}, err
		}
		// Written as a template writes it: a stored 1000000 is "1000000", not "1e+06".
		got := normalize.Text(flows.FormatValue(v))
		for _, c := range st.Switch.Cases {
			if normalize.Text(c.Value) == got { // no allocation: the loader folded it
				return actJump, c.Goto, nil
			}
		}
		return actJump, st.Switch.Default, nil
	case flows.StepGoto:
		return actJump, st.Goto, nil
	case flows.StepCall:
		s.Stack = append(s.Stack, Frame{Flow: f.Name, Step: st.ID})
		if len(s.Stack) > 32 {
			return 0, flows.Target{}, fmt.Errorf("calls nested more than 32 deep")
		}
		return actJump, flows.Target{Flow: st.Call}, nil
	case flows.StepWait:
		due := r.now.Add(st.Wait)
		if st.WaitTill != nil {
			v, err := st.WaitTill.Eval(r.env())
			if err != nil {
				return 0, flows.Target{}, err
			}
			t, ok := v.(time.Time)
			if !ok {
				return 0, flows.Target{}, fmt.Errorf("wait until: %q gave %s, want a time", st.WaitTill.Source, describe(v))
			}
			if !t.After(r.now) {
				break // the moment has passed: continue at once
			}
			due = t
		}
		r.setTimer(Timer{Kind: TimerWait, Due: due, Flow: f.Name, Step: st.ID, Stack: slices.Clone(s.Stack)})
		return actWait, flows.Target{}, nil
	case flows.StepHandoff:
		text, err := r.render(st.Handoff.Say)
		if err != nil {
			return 0, flows.Target{}, err
		}
		r.say(text)
		r.record(chat.Event{Kind: chat.EventHandoff, Flow: f.Name, Step: st.ID, Detail: st.Handoff.Queue})
		r.endSession()
		s.Mode, s.Queue, s.ReturnAfter = ModeHuman, st.Handoff.Queue, st.Handoff.Return
		if st.Handoff.Return > 0 {
			r.setTimer(Timer{Kind: TimerReturn, Due: r.now.Add(st.Handoff.Return)})
		}
		return actStop, flows.Target{}, nil
	case flows.StepTag:
		c := &r.st.Contact
		for _, t := range st.Tag.Add {
			if !c.HasTag(t) {
				c.Tags = append(c.Tags, t)
			}
		}
		c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return slices.Contains(st.Tag.Remove, t) })
		if len(c.Tags) == 0 {
			c.Tags = nil
		}
	case flows.StepHTTP:
		if ok := r.callHTTP(st.HTTP); !ok && !st.HTTP.OnError.IsZero() {
			return actJump, st.HTTP.OnError, nil
		}
	case flows.StepEnd:
		text, err := r.render(st.End)
		if err != nil {
			return 0, flows.Target{}, err
		}
		r.say(text)
		r.endSession()
		return actStop, flows.Target{}, nil
	default:
		return 0, flows.Target{}, fmt.Errorf("unknown step kind %q", st.Kind)
	}
	return actNext, flows.Target{}, nil
}

func (r *run) await(kind AwaitKind, f *flows.Flow, st *flows.Step, timeout time.Duration) {
	s := r.sess()
	retries := 0
	if s.Await != nil && s.Await.Flow == f.Name && s.Await.Step == st.ID {
		retries = s.Await.Retries
	}
	s.Await = &Await{Kind: kind, Flow: f.Name, Step: st.ID, Retries: retries}
	r.clearTimers(TimerTimeout)
	if timeout > 0 {
		r.setTimer(Timer{Kind: TimerTimeout, Due: r.now.Add(timeout), Flow: f.Name, Step: st.ID})
	}
}

func (r *run) sendButtons(b *flows.Buttons) error {
	text, err := r.render(b.Text)
	if err != nil {
		return err
	}
	m := chat.Outbound{Kind: chat.KindButtons, Text: text}
	if m.Header, err = r.render(b.Header); err != nil {
		return err
	}
	if m.Footer, err = r.render(b.Footer); err != nil {
		return err
	}
	for _, c := range b.Choices {
		title, err := r.render(c.Title)
		if err != nil {
			return err
		}
		m.Buttons = append(m.Buttons, chat.Button{ID: c.ID, Title: title})
	}
	r.reply(m)
	return nil
}

func (r *run) sendList(l *flows.List) error {
	text, err := r.render(l.Text)
	if err != nil {
		return err
	}
	label, err := r.render(l.Button)
	if err != nil {
		return err
	}
	m := chat.Outbound{Kind: chat.KindList, Text: text, ListButton: label}
	if m.Header, err = r.render(l.Header); err != nil {
		return err
	}
	if m.Footer, err = r.render(l.Footer); err != nil {
		return err
	}
	for _, sec := range l.Sections {
		title, err := r.render(sec.Title)
		if err != nil {
			return err
		}
		cs := chat.Section{Title: title}
		for _, c := range sec.Rows {
			t, err := r.render(c.Title)
			if err != nil {
				return err
			}
			d, err := r.render(c.Description)
			if err != nil {
				return err
			}
			cs.Rows = append(cs.Rows, chat.Row{ID: c.ID, Title: t, Description: d})
		}
		m.Sections = append(m.Sections, cs)
	}
	r.reply(m)
	return nil
}

// matchTrigger finds the flow a message starts: the first matching trigger in priority
// order, or the fallback when none matches. A reaction (an emoji on an earlier message)
// is seen by `when` triggers only: a 👍 on "your order is on its way" must not get the
// fallback's "sorry, I did not understand".
func (r *run) matchTrigger(in chat.Inbound, folded string) *flows.Trigger {
	reaction := in.Kind == chat.KindReaction
	// A pressed button or chosen row names its flow by id; its title must not be taken
	// for a keyword of another flow.
	if in.ReplyID != "" {
		for _, t := range r.l.set.Triggers {
			if t.Kind == flows.TriggerReply && slices.Contains(t.ReplyIDs, in.ReplyID) {
				return t
			}
		}
	}
	var fallback *flows.Trigger
	var env *flows.Env
	for _, t := range r.l.set.Triggers {
		if reaction && t.Kind != flows.TriggerWhen {
			continue
		}
		switch t.Kind {
		case flows.TriggerKeywords:
			if folded != "" && matchKeywords(folded, t.Keywords, t.Match) {
				return t
			}
		case flows.TriggerRegex:
			if in.Text != "" && t.Regex.MatchString(strings.TrimSpace(normalize.Digits(in.Text))) {
				return t
			}
		case flows.TriggerReply:
			if in.ReplyID != "" && slices.Contains(t.ReplyIDs, in.ReplyID) {
				return t
			}
		case flows.TriggerCampaign:
			if in.Campaign != "" && in.Campaign == t.Campaign {
				return t
			}
		case flows.TriggerWhen:
			if env == nil {
				env = r.env()
			}
			ok, err := t.When.EvalBool(env)
			if err != nil {
				r.e.log.Warn("trigger expression failed", slog.String("flow", t.Flow), slog.Any("error", err))
				continue
			}
			if ok {
				return t
			}
		case flows.TriggerFallback:
			if fallback == nil {
				fallback = t
			}
		}
	}
	return fallback
}

func matchKeywords(folded string, keywords []string, mode flows.KeywordMatch) bool {
	for _, k := range keywords {
		switch mode {
		case flows.MatchExact:
			if folded == k {
				return true
			}
		case flows.MatchStart:
			if folded == k || strings.HasPrefix(folded, k+" ") {
				return true
			}
		default:
			if containsWords(folded, k) {
				return true
			}
		}
	}
	return false
}

// containsWords reports whether the words of k occur in text as whole words.
func containsWords(text, k string) bool {
	if k == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(text[i:], k)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(k)
		if (start == 0 || text[start-1] == ' ') && (end == len(text) || text[end] == ' ') {
			return true
		}
		i = start + 1
	}
}

// answer handles a message while the session waits for input.
func (r *run) answer(in chat.Inbound) error {
	s := r.sess()
	a := s.Await
	f := r.l.set.Flows[a.Flow]
	var st *flows.Step
	if f != nil {
		st, _, _ = f.Step(a.Step)
	}
	if st == nil || (st.Kind != flows.StepAsk && st.Kind != flows.StepButtons && st.Kind != flows.StepList) {
		// The flows changed under a waiting session: start afresh with this message.
		r.endSession()
		return r.handle(in)
	}
	if st.Kind == flows.StepAsk {
		return r.answerAsk(f, st, in)
	}
	return r.answerChoice(f, st, in)
}

func (r *run) answerAsk(f *flows.Flow, st *flows.Step, in chat.Inbound) error {
	ask := st.Ask
	s := r.sess()
	answer := strings.TrimSpace(normalize.Digits(in.Text))
	valid := true
	switch {
	case in.Kind.IsMedia():
		if ask.Media && in.Media != nil {
			answer = in.Media.ID
		} else {
			valid = false
		}
	case ask.Media, answer == "":
		// A text question wants text: a location without a name, or any other reply
		// without text, is no answer to it.
		valid = false
	}
	if valid && ask.Validate != nil {
		env := r.env()
		env.Answer = answer
		ok, err := ask.Validate.EvalBool(env)
		if err != nil {
			r.e.log.Debug("validate failed", slog.Any("error", err))
		}
		valid = ok && err == nil
	}
	var value any = answer
	if valid && ask.Value != nil {
		// An answer that cannot be turned into the value ("five" for int(answer)) is
		// a wrong answer, as one that fails validate is: the customer is asked again.
		env := r.env()
		env.Answer = answer
		v, err := ask.Value.Eval(env)
		if err != nil {
			r.e.log.Debug("value failed", slog.Any("error", err))
		}
		value, valid = v, err == nil
	}
	if valid {
		s.Vars[ask.Save] = value
		s.Await = nil
		r.clearTimers(TimerTimeout)
		return r.continueAfter(f.Name, st.ID)
	}
	return r.retry(f, st, ask.MaxRetries, ask.OnFail, ask.Retry, ask.Prompt, ask.Timeout)
}

// retry answers an invalid answer: the retry text and another wait, or, when the retries
// are used up, the failure branch.
func (r *run) retry(f *flows.Flow, st *flows.Step, max int, onFail flows.Target, retry, prompt *flows.Template, timeout time.Duration) error {
	s := r.sess()
	s.Await.Retries++
	if s.Await.Retries > max {
		s.Await = nil
		r.clearTimers(TimerTimeout)
		if !onFail.IsZero() {
			return r.jump(onFail)
		}
		return r.continueAfter(f.Name, st.ID)
	}
	t := retry
	if t == nil {
		t = prompt
	}
	switch {
	case t != nil:
		text, err := r.render(t)
		if err != nil {
			r.fail(err)
			return nil
		}
		r.say(text)
	case st.Kind == flows.StepButtons:
		if err := r.sendButtons(st.Buttons); err != nil {
			r.fail(err)
			return nil
		}
	case st.Kind == flows.StepList:
		if err := r.sendList(st.List); err != nil {
			r.fail(err)
			return nil
		}
	}
	r.await(s.Await.Kind, f, st, timeout)
	return nil
}

func (r *run) answerChoice(f *flows.Flow, st *flows.Step, in chat.Inbound) error {
	choices := choicesOf(st)
	var save string
	var b *flows.Buttons
	var l *flows.List
	if st.Kind == flows.StepButtons {
		b = st.Buttons
		save = b.Save
	} else {
		l = st.List
		save = l.Save
	}
	picked := -1
	folded := normalize.Text(in.Text)
	for i, c := range choices {
		if in.ReplyID != "" && in.ReplyID == c.ID {
			picked = i
			break
		}
	}
	if picked < 0 && folded != "" {
		for i, c := range choices {
			title, err := r.render(c.Title)
			if err == nil && normalize.Text(title) == folded {
				picked = i
				break
			}
		}
	}
	if picked < 0 && in.ReplyID == "" {
		if n, err := strconv.Atoi(folded); err == nil && n >= 1 && n <= len(choices) {
			picked = n - 1
		}
	}
	s := r.sess()
	if picked < 0 {
		if b != nil {
			return r.retry(f, st, b.MaxRetries, b.OnFail, b.Retry, nil, b.Timeout)
		}
		return r.retry(f, st, l.MaxRetries, l.OnFail, l.Retry, nil, l.Timeout)
	}
	c := choices[picked]
	if save != "" {
		s.Vars[save] = c.ID
	}
	s.Await = nil
	r.clearTimers(TimerTimeout)
	if !c.Goto.IsZero() {
		return r.jump(c.Goto)
	}
	return r.continueAfter(f.Name, st.ID)
}

// timeout handles an ask or choice that went unanswered: its timeout branch, or the end of
// the conversation.
func (r *run) timeout() error {
	s := r.sess()
	a := s.Await
	s.Await = nil
	var target flows.Target
	if f := r.l.set.Flows[a.Flow]; f != nil {
		if st, _, ok := f.Step(a.Step); ok {
			switch st.Kind {
			case flows.StepAsk:
				target = st.Ask.OnTimeout
			case flows.StepButtons:
				target = st.Buttons.OnTimeout
			case flows.StepList:
				target = st.List.OnTimeout
			}
		}
	}
	if target.IsZero() {
		r.endSession()
		return nil
	}
	return r.jump(target)
}

// assign writes a set step's value: a session variable, or a contact field that outlives
// the conversation (the loader allows only contact.name, contact.language and
// contact.attrs.<key>).
func (r *run) assign(name string, v any) {
	c := &r.st.Contact
	switch {
	case name == "contact.name":
		c.Name = flows.FormatValue(v)
	case name == "contact.language":
		c.Language = flows.FormatValue(v)
	case strings.HasPrefix(name, "contact.attrs."):
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		c.Attrs[strings.TrimPrefix(name, "contact.attrs.")] = flows.FormatValue(v)
	default:
		r.sess().Vars[name] = v
	}
}

// describe names a value's kind for an error a business owner reads.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case string:
		return "a text"
	case bool:
		return "true or false"
	case int, int64, float64:
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}
