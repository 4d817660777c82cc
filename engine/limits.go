package engine

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// ErrTooLong is the run-time error of a rendered text that WhatsApp would refuse and
// that cannot be split: a button title, a header, a template parameter.
var ErrTooLong = errors.New("text too long for WhatsApp")

// sentenceEnds end a sentence when a space or a line break follows them: Latin and
// Arabic full stops and question marks.
const sentenceEnds = ".!?؟۔"

// splitText cuts a text longer than max characters into parts of at most max, in order:
// at the last paragraph break (an empty line) that fits, else at the last line break or
// sentence end, else at the last space, else (one word longer than max) at max. Spaces
// around a cut are dropped. A text that fits is returned whole, as written; an empty
// text gives none.
func splitText(s string, max int) []string {
	if s == "" {
		return nil
	}
	if utf8.RuneCountInString(s) <= max {
		return []string{s}
	}
	var out []string
	for {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			return out
		}
		if utf8.RuneCountInString(s) <= max {
			return append(out, strings.TrimRightFunc(s, unicode.IsSpace))
		}
		cut := cutAt(s, max)
		if part := strings.TrimRightFunc(s[:cut], unicode.IsSpace); part != "" {
			out = append(out, part)
		}
		s = s[cut:]
	}
}

// cutAt returns the byte index to cut s at, so that s[:cut] holds at most max characters.
func cutAt(s string, max int) int {
	end := 0 // byte index after the first max characters
	for i := 0; i < max; i++ {
		_, n := utf8.DecodeRuneInString(s[end:])
		end += n
	}
	head := s[:end]
	followedBySpace := func(i int) bool { // s[i:] starts with whitespace
		r, _ := utf8.DecodeRuneInString(s[i:])
		return i < len(s) && unicode.IsSpace(r)
	}
	if i := strings.LastIndex(head, "\n\n"); i > 0 {
		return i
	}
	sentence := -1
	for i, r := range head {
		after := i + utf8.RuneLen(r)
		switch {
		case r == '\n' && i > 0:
			sentence = i
		case strings.ContainsRune(sentenceEnds, r) && followedBySpace(after):
			sentence = after
		}
	}
	if sentence > 0 {
		return sentence
	}
	if followedBySpace(end) {
		return end // the first max characters end with a whole word
	}
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i > 0 {
		return i
	}
	return end
}

// fits checks one rendered part of a message against its limit.
func fits(what, text string, max int) error {
	if n := utf8.RuneCountInString(text); n > max {
		return fmt.Errorf("%w: the %s is %d characters once filled in; WhatsApp takes at most %d", ErrTooLong, what, n, max)
	}
	return nil
}

// checkInteractive checks the parts of a buttons or list message that cannot be split.
func checkInteractive(m *chat.Outbound) error {
	errs := []error{fits("header", m.Header, flows.MaxHeader), fits("footer", m.Footer, flows.MaxFooter)}
	for _, b := range m.Buttons {
		errs = append(errs, fits(fmt.Sprintf("button title %q", b.Title), b.Title, flows.MaxButtonTitle))
	}
	if m.Kind == chat.KindList {
		errs = append(errs, fits("list button label", m.ListButton, flows.MaxListButton))
	}
	for _, sec := range m.Sections {
		errs = append(errs, fits("section title", sec.Title, flows.MaxSectionTitle))
		for _, row := range sec.Rows {
			errs = append(errs, fits(fmt.Sprintf("row title %q", row.Title), row.Title, flows.MaxRowTitle),
				fits(fmt.Sprintf("description of row %q", row.Title), row.Description, flows.MaxRowDescription))
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// replyInteractive sends a buttons or list message whose body may be longer than WhatsApp
// takes: the body's leading parts go first as text messages, and the last part carries
// the buttons or the list.
func (r *run) replyInteractive(m chat.Outbound) error {
	if err := checkInteractive(&m); err != nil {
		return err
	}
	parts := splitText(m.Text, flows.MaxInteractive)
	if len(parts) > 1 {
		for _, p := range parts[:len(parts)-1] {
			r.reply(chat.Outbound{Kind: chat.KindText, Text: p})
		}
		m.Text = parts[len(parts)-1]
	}
	r.reply(m)
	return nil
}
