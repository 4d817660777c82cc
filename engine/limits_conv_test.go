package engine_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
)

// Regression (issue 10): a rendered text over 4,096 characters was sent whole, and WhatsApp
// refused it; a title too long was sent too. Long texts now go as several messages in
// order, and what cannot be split is a run-time error.
func TestLongTextsAreSplitAndTitlesTooLongFail(t *testing.T) {
	const flow = `flow: long
triggers: [{keywords: [long]}, {keywords: [menu]}, {keywords: [title]}]
steps:
  - switch: message.folded
    cases: {menu: menu, title: title}
  - say: "{{ vars.text }}"
  - end: true
  - id: menu
    buttons: "{{ vars.text }}"
    options: [{id: A, title: Yes}]
  - end: true
  - id: title
    buttons: "pick"
    options: [{id: A, title: "{{ vars.name }}"}]
`
	sentence := "هذه جملة طويلة نسبيا لاختبار التقسيم؟ "
	text := strings.Repeat(sentence, 250) // about 9,750 characters
	h := newHarness(t, map[string]string{"long.yaml": flow}, engine.Options{})
	seedVars(t, h, map[string]any{"text": text, "name": "a title of more than twenty characters"})

	got := h.say("long")
	if len(got) != 3 {
		t.Fatalf("%d messages, want 3", len(got))
	}
	for i, part := range got {
		if n := utf8.RuneCountInString(part); n > flows.MaxText || !strings.HasSuffix(part, "؟") {
			t.Errorf("part %d: %d characters, ends %q; want at most %d, cut after a question mark", i, n, part[len(part)-10:], flows.MaxText)
		}
	}
	if strings.Join(got, " ") != strings.TrimSpace(text) {
		t.Error("the parts joined are not the text")
	}

	h.send(chat.Inbound{Text: "menu"})
	msgs := h.rec.Take()
	last := msgs[len(msgs)-1]
	if len(msgs) != 10 || last.Kind != chat.KindButtons || utf8.RuneCountInString(last.Text) > flows.MaxInteractive {
		t.Errorf("buttons with a long body: %d messages, the last a %s of %d characters", len(msgs), last.Kind, utf8.RuneCountInString(last.Text))
	}
	for _, m := range msgs[:len(msgs)-1] {
		if m.Kind != chat.KindText {
			t.Errorf("a leading part is a %s message", m.Kind)
		}
	}

	expect(t, "a title too long", h.say("title"), flows.DefaultErrorReply)
	var found bool
	for _, ev := range h.store.History("966500000001") {
		found = found || (ev.Kind == chat.EventError && strings.Contains(ev.Detail, `button title "a title of more than twenty characters" is 38 characters once filled in; WhatsApp takes at most 20`))
	}
	if !found {
		t.Error("no error event for the title too long")
	}
}
