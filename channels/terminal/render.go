package terminal

import (
	"fmt"
	"strings"

	"github.com/wasla/wasla/chat"
)

// Choice is one reply button or list row that the user can answer with.
type Choice struct {
	ID    string
	Title string
	Kind  chat.Kind // chat.KindButtonReply or chat.KindListReply
}

// Format renders msg as text for a terminal, one or more lines without a trailing newline,
// and returns the choices it numbered. Buttons and list rows are numbered from 1 in the
// order they are shown.
func Format(msg chat.Outbound) (string, []Choice) {
	var b strings.Builder
	line := func(format string, args ...any) {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, format, args...)
	}
	// body is what buttons and lists show above their choices.
	body := func() {
		if msg.Header != "" {
			line("*%s*", msg.Header)
		}
		if msg.Text != "" {
			line("%s", msg.Text)
		}
		if msg.Footer != "" {
			line("_%s_", msg.Footer)
		}
	}
	choices := Choices(msg)
	switch msg.Kind {
	case chat.KindText:
		line("%s", msg.Text)
	case chat.KindButtons:
		body()
		for i, c := range choices {
			line("[%d] %s", i+1, c.Title)
		}
	case chat.KindList:
		body()
		if msg.ListButton != "" {
			line("(%s)", msg.ListButton)
		}
		n := 0
		for _, s := range msg.Sections {
			if s.Title != "" {
				line("%s:", s.Title)
			}
			for _, r := range s.Rows {
				n++
				if r.Description != "" {
					line("[%d] %s — %s", n, r.Title, r.Description)
				} else {
					line("[%d] %s", n, r.Title)
				}
			}
		}
	case chat.KindTemplate:
		if msg.Template == nil {
			line("[template]")
			break
		}
		t := msg.Template
		head := "[template " + t.Name
		if t.Language != "" {
			head += " (" + t.Language + ")"
		}
		head += "]"
		if len(t.Params) > 0 {
			head += " " + strings.Join(t.Params, " | ")
		}
		line("%s", head)
	default:
		if msg.Kind.IsMedia() {
			head := "[" + string(msg.Kind)
			if m := msg.Media; m != nil {
				switch {
				case m.URL != "":
					head += " " + m.URL
				case m.ID != "":
					head += " id " + m.ID
				}
				if m.Filename != "" {
					head += " " + m.Filename
				}
			}
			head += "]"
			if msg.Media != nil && msg.Media.Caption != "" {
				head += " " + msg.Media.Caption
			}
			line("%s", head)
			break
		}
		if msg.Text != "" {
			line("[%s] %s", msg.Kind, msg.Text)
		} else {
			line("[%s]", msg.Kind)
		}
	}
	return b.String(), choices
}

// Choices returns the buttons or list rows of msg in the order Format numbers them, or nil
// for a message the user cannot answer by choice.
func Choices(msg chat.Outbound) []Choice {
	var out []Choice
	switch msg.Kind {
	case chat.KindButtons:
		for _, btn := range msg.Buttons {
			out = append(out, Choice{ID: btn.ID, Title: btn.Title, Kind: chat.KindButtonReply})
		}
	case chat.KindList:
		for _, s := range msg.Sections {
			for _, r := range s.Rows {
				out = append(out, Choice{ID: r.ID, Title: r.Title, Kind: chat.KindListReply})
			}
		}
	}
	return out
}

// Prefix puts prefix before the first line of text and lines the other lines up under
// it, leaving empty lines empty, as the simulator prints "bot: " messages.
func Prefix(prefix, text string) string {
	pad := strings.Repeat(" ", len([]rune(prefix)))
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		switch {
		case i == 0:
			lines[i] = prefix + l
		case l != "":
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}
