package terminal

import (
	"strconv"
	"strings"

	"github.com/wasla/wasla/chat"
)

// Match finds the choice that line names: its number (ASCII, Arabic-Indic or Persian
// digits) or its title, compared without regard to case and surrounding spaces. A line that
// names no choice is not a choice; the simulator then sends it as text, and the engine
// still accepts a text equal to a button title after its own folding.
func Match(line string, choices []Choice) (Choice, bool) {
	s := strings.TrimSpace(line)
	if s == "" || len(choices) == 0 {
		return Choice{}, false
	}
	if n, err := strconv.Atoi(asciiDigits(s)); err == nil {
		if n >= 1 && n <= len(choices) {
			return choices[n-1], true
		}
		return Choice{}, false
	}
	for _, c := range choices {
		if strings.EqualFold(s, strings.TrimSpace(c.Title)) {
			return c, true
		}
	}
	return Choice{}, false
}

// Inbound turns a line the user typed into the body of an inbound message: a button or
// list reply when the line names one of choices, text otherwise. The caller fills in who
// sent it, where, when and the message id.
func Inbound(line string, choices []Choice) chat.Inbound {
	if c, ok := Match(line, choices); ok {
		return chat.Inbound{Kind: c.Kind, ReplyID: c.ID, Text: c.Title}
	}
	return chat.Inbound{Kind: chat.KindText, Text: strings.TrimSpace(line)}
}

// asciiDigits maps Arabic-Indic (٠-٩) and Persian (۰-۹) digits to ASCII so that "٢"
// picks the second choice as "2" does.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}
