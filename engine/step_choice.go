package engine

import (
	"strconv"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/normalize"
)

// stepButtons sends reply buttons and, unless told not to, waits for a choice (see
// answerChoice).
func (r *run) stepButtons(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	if err := r.sendButtons(st.Buttons); err != nil {
		return 0, flows.Target{}, err
	}
	if st.Buttons.Await {
		r.await(AwaitChoice, f, st, st.Buttons.Timeout)
		return actWait, flows.Target{}, nil
	}
	return actNext, flows.Target{}, nil
}

// stepList sends a list message and, unless told not to, waits for a choice (see
// answerChoice).
func (r *run) stepList(f *flows.Flow, st *flows.Step) (action, flows.Target, error) {
	if err := r.sendList(st.List); err != nil {
		return 0, flows.Target{}, err
	}
	if st.List.Await {
		r.await(AwaitChoice, f, st, st.List.Timeout)
		return actWait, flows.Target{}, nil
	}
	return actNext, flows.Target{}, nil
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
	return r.replyInteractive(m)
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
	return r.replyInteractive(m)
}

// choicesOf returns the buttons or list rows of a step, or nil for other kinds.
func choicesOf(st *flows.Step) []flows.Choice {
	switch st.Kind {
	case flows.StepButtons:
		return st.Buttons.Choices
	case flows.StepList:
		var all []flows.Choice
		for _, sec := range st.List.Sections {
			all = append(all, sec.Rows...)
		}
		return all
	}
	return nil
}

// answerChoice takes a message as the choice of a buttons or list step: a pressed reply
// id, a typed title or a typed number picks one; anything else is asked again.
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
