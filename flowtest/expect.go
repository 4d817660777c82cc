package flowtest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/wasla/wasla/channels/terminal"
	"github.com/wasla/wasla/chat"
)

// checkBot compares the next bot message with what a `bot:` step expects. It returns ""
// when they agree, or the reason they do not.
func checkBot(want *BotExpect, got chat.Outbound) string {
	if want.HasText {
		if reason := checkText(want, messageText(got)); reason != "" {
			return reason
		}
	}
	if want.Buttons != nil {
		if got.Kind != chat.KindButtons {
			return fmt.Sprintf("want a buttons message, got a %s message", got.Kind)
		}
		if reason := compareTitles("button", want.Buttons, terminal.Choices(got)); reason != "" {
			return reason
		}
	}
	if want.List != nil {
		if got.Kind != chat.KindList {
			return fmt.Sprintf("want a list message, got a %s message", got.Kind)
		}
		if reason := compareTitles("row", want.List, terminal.Choices(got)); reason != "" {
			return reason
		}
	}
	if want.Template != "" {
		if got.Kind != chat.KindTemplate || got.Template == nil {
			return fmt.Sprintf("want template %q, got a %s message", want.Template, got.Kind)
		}
		if got.Template.Name != want.Template {
			return fmt.Sprintf("want template %q, got template %q", want.Template, got.Template.Name)
		}
	}
	if want.Media != "" && got.Kind != want.Media {
		return fmt.Sprintf("want a %s message, got a %s message", want.Media, got.Kind)
	}
	return ""
}

// checkText compares a text with the text part of an expectation; "" when they agree.
func checkText(want *BotExpect, text string) string {
	switch want.Match {
	case TextExact:
		if text != want.Text {
			return "the text differs" + firstDifference(want.Text, text)
		}
	case TextContains:
		if !strings.Contains(text, want.Text) {
			return fmt.Sprintf("the text does not contain %q", want.Text)
		}
	case TextRegex:
		if !want.Regex.MatchString(text) {
			return fmt.Sprintf("the text does not match %q", want.Text)
		}
	}
	return ""
}

// renderText shows the text part of an expectation as the test wrote it.
func renderText(b *BotExpect) string {
	if b.Match == TextExact {
		return fmt.Sprintf("%q", b.Text)
	}
	return fmt.Sprintf("%s %q", b.Match, b.Text)
}

// messageText is the text a `bot:` text expectation reads: the body, or a media caption.
func messageText(m chat.Outbound) string {
	if m.Kind.IsMedia() && m.Media != nil {
		return m.Media.Caption
	}
	return m.Text
}

func compareTitles(what string, want []string, got []terminal.Choice) string {
	titles := make([]string, len(got))
	for i, c := range got {
		titles[i] = c.Title
	}
	if len(want) != len(titles) {
		return fmt.Sprintf("want %d %ss, got %d", len(want), what, len(titles))
	}
	for i := range want {
		if want[i] != titles[i] {
			return fmt.Sprintf("%s %d is %q, want %q", what, i+1, titles[i], want[i])
		}
	}
	return ""
}

// firstDifference points at the first character where two texts part, which finds the
// stray space or look-alike letter a side-by-side reading misses.
func firstDifference(want, got string) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	// Back up to the start of the character the bytes differ in.
	for i > 0 && i < len(want) && !utf8.RuneStart(want[i]) {
		i--
	}
	n := utf8.RuneCountInString(want[:i]) + 1
	switch {
	case i >= len(want):
		return fmt.Sprintf(": got %s more after character %d", plural(utf8.RuneCountInString(got[i:]), "character"), n-1)
	case i >= len(got):
		return fmt.Sprintf(": it stops after character %d, %s short", n-1, plural(utf8.RuneCountInString(want[i:]), "character"))
	}
	w, _ := utf8.DecodeRuneInString(want[i:])
	g, _ := utf8.DecodeRuneInString(got[i:])
	return fmt.Sprintf(" at character %d: want %q, got %q", n, w, g)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// renderExpect shows a `bot:` expectation the way the terminal shows a message, so that
// want and got line up.
func renderExpect(b *BotExpect) string {
	var lines []string
	if b.HasText {
		switch b.Match {
		case TextExact:
			lines = append(lines, b.Text)
		default:
			lines = append(lines, fmt.Sprintf("%s %q", b.Match, b.Text))
		}
	}
	for i, t := range b.Buttons {
		lines = append(lines, fmt.Sprintf("[%d] %s", i+1, t))
	}
	for i, t := range b.List {
		lines = append(lines, fmt.Sprintf("[%d] %s", i+1, t))
	}
	if b.Template != "" {
		lines = append(lines, "[template "+b.Template+"]")
	}
	if b.Media != "" {
		lines = append(lines, "["+string(b.Media)+"]")
	}
	return strings.Join(lines, "\n")
}

// sameValue compares an expected variable with the stored one. Both go through JSON, as
// the store keeps them, and plain values compare by their text, so `qty: 3` accepts the
// answer "3" that an ask step saved.
func sameValue(want, got any) bool {
	w, g := jsonValue(want), jsonValue(got)
	if reflect.DeepEqual(w, g) {
		return true
	}
	if isPlain(w) && isPlain(g) {
		return fmt.Sprint(w) == fmt.Sprint(g)
	}
	return false
}

func jsonValue(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return v
	}
	return out
}

func isPlain(v any) bool {
	switch v.(type) {
	case string, float64, bool:
		return true
	}
	return false
}

// showValue renders a variable's value as JSON, so that "3" and 3 look different.
func showValue(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}
