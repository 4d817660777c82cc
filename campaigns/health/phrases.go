package health

import (
	"strings"

	"github.com/wasla/wasla/normalize"
)

// Phrases recognises negative replies — "who gave you my number", "مزعج" — the early form
// of a block or a report. Phrases and messages are folded the way flows match text
// (normalize.Text: case, Arabic letter variants, diacritics, digits, punctuation), and a
// phrase matches whole words anywhere in the reply. Phrases is immutable and safe for
// concurrent use.
type Phrases struct {
	folded []string // " phrase " with a space each side, for whole-word matching
}

// DefaultPhrases returns the default list, Arabic (Gulf and Levantine forms) and English.
// It is configuration: every business hears its own words.
func DefaultPhrases() []string {
	return []string{
		"spam", "stop spamming", "leave me alone", "who is this", "who gave you my number",
		"how did you get my number", "don't message me", "do not message me", "not interested",
		"reported", "blocked",
		"مزعج", "ازعاج", "سبام", "لا ترسل", "لا تراسلني", "لا ترسلوا", "مين انت", "من انت",
		"من وين جبت رقمي", "من اين حصلت على رقمي", "غير مهتم", "مو مهتم", "بلغت عنك", "حظرتك",
	}
}

// NewPhrases folds list into a matcher; empty phrases are ignored.
func NewPhrases(list []string) *Phrases {
	p := &Phrases{}
	for _, s := range list {
		if f := normalize.Text(s); f != "" {
			p.folded = append(p.folded, " "+f+" ")
		}
	}
	return p
}

// Match returns the first phrase found in text (folded), or "".
func (p *Phrases) Match(text string) string {
	f := " " + normalize.Text(text) + " "
	for _, ph := range p.folded {
		if strings.Contains(f, ph) {
			return strings.TrimSpace(ph)
		}
	}
	return ""
}
