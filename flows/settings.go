package flows

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
	"github.com/wasla/wasla/yamlfile"
)

// Settings defaults (docs/flows.md).
var (
	defaultRestartWords = []string{"menu", "القائمة"}
	defaultOptOutWords  = []string{"stop", "إلغاء", "الغاء"}
	defaultOptInWords   = []string{"start", "ابدأ"}
)

// Default texts, in both languages, for what the engine says on its own.
const (
	DefaultQuestionChanged = "عذرًا، تغيّر هذا السؤال منذ أن أرسلناه إليك. / Sorry, this question changed since we sent it."
	DefaultErrorReply      = "عذرًا، حدث خطأ من جهتنا. / Sorry, something went wrong on our side."
	DefaultOptOutReply     = "لن تصلك رسائل منا بعد الآن. أرسل «ابدأ» للعودة. / You will get no more messages from us. Send START to resume."
	DefaultOptInReply      = "أهلاً بعودتك! / Welcome back!"
)

// Defaults of Settings that the engine also applies to a set built without the loader.
const (
	DefaultMaxSteps    = 100
	DefaultHTTPTimeout = 5 * time.Second
)

// settingsState is the settings file of a set, read before every flow is known.
type settingsState struct {
	f           *file
	pos         Pos
	settings    Settings
	restartFlow *yaml.Node
}

// loadSettings reads a settings file; a set has at most one.
func (l *loader) loadSettings(f *file, root *yaml.Node) {
	rm := f.view(root)
	key := rm.keys["settings"]
	if l.settings != nil {
		f.errorAt(yamlfile.CodeDuplicate, key, "a set has one settings file; the first is %s", posString(l.settings.pos))
		return
	}
	st := &settingsState{f: f, pos: f.pos(key)}
	l.settings = st
	m := f.view(rm.vals["settings"])
	s := &st.settings
	if tz := m.scalar("timezone"); tz != nil {
		loc, err := time.LoadLocation(tz.Value)
		if err != nil || tz.Value == "" || tz.Value == "Local" {
			f.errorAt(yamlfile.CodeBadValue, tz, "unknown time zone `%s`; want an IANA name like Asia/Riyadh or UTC", tz.Value)
		} else {
			s.Timezone = loc
		}
	}
	if bh := m.scalar("business_hours"); bh != nil {
		if _, err := expr.ParseHours(bh.Value); err != nil {
			f.errorAt(yamlfile.CodeBadValue, bh, "%v", err)
		} else {
			s.BusinessHours = bh.Value
		}
	}
	s.RestartWords = foldWords(f, m, "restart_words")
	s.OptOutWords = foldWords(f, m, "opt_out_words")
	s.OptInWords = foldWords(f, m, "opt_in_words")
	s.OptOutReply = m.str("opt_out_reply")
	s.OptInReply = m.str("opt_in_reply")
	s.BurstWindow = m.duration("burst_window")
	s.MaxSteps = m.integer("max_steps", 0)
	s.HTTPTimeout = m.duration("http_timeout")
	s.QuestionChanged = m.str("question_changed")
	s.ErrorReply = m.str("error_reply")
	s.ErrorHandoff = m.str("error_handoff")
	if rf := m.scalar("restart_flow"); rf != nil {
		s.RestartFlow, st.restartFlow = rf.Value, rf
	}
}

// foldWords reads a list of words and folds each; a word that folds to nothing is an error.
func foldWords(f *file, m *mapping, key string) []string {
	v := m.vals[key]
	if v == nil {
		return nil
	}
	out := []string{}
	for _, n := range scalarNodes(v) {
		w := normalize.Text(n.Value)
		if w == "" {
			f.errorAt(yamlfile.CodeBadValue, n, "`%s` is empty once folded (punctuation and marks are ignored)", n.Value)
			continue
		}
		out = append(out, w)
	}
	return out
}

// finishSettings fills the documented defaults and checks restart_flow, once every flow
// is known.
func (l *loader) finishSettings() Settings {
	var s Settings
	if l.settings != nil {
		s = l.settings.settings
		if rf := l.settings.restartFlow; rf != nil && flowNameRE.MatchString(rf.Value) {
			if _, ok := l.byName[rf.Value]; !ok {
				l.settings.f.errorAt(yamlfile.CodeUndefinedTarget, rf, "restart_flow `%s` names no flow%s", rf.Value, yamlfile.DidYouMean(rf.Value, l.flowNames()))
			}
		}
	}
	if s.Timezone == nil {
		s.Timezone = time.UTC
	}
	if s.RestartWords == nil {
		s.RestartWords = foldAll(defaultRestartWords)
	}
	if s.OptOutWords == nil {
		s.OptOutWords = foldAll(defaultOptOutWords)
	}
	if s.OptInWords == nil {
		s.OptInWords = foldAll(defaultOptInWords)
	}
	if s.OptOutReply == "" {
		s.OptOutReply = DefaultOptOutReply
	}
	if s.OptInReply == "" {
		s.OptInReply = DefaultOptInReply
	}
	if s.RestartFlow == "" && l.fallback != nil {
		s.RestartFlow = l.fallback.Flow
	}
	if s.MaxSteps == 0 {
		s.MaxSteps = DefaultMaxSteps
	}
	if s.HTTPTimeout == 0 {
		s.HTTPTimeout = DefaultHTTPTimeout
	}
	if s.QuestionChanged == "" {
		s.QuestionChanged = DefaultQuestionChanged
	}
	if s.ErrorReply == "" {
		s.ErrorReply = DefaultErrorReply
	}
	return s
}

func foldAll(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if f := normalize.Text(w); f != "" && !containsString(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
