package flows

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/flows/schedule"
	"github.com/wasla/wasla/normalize"
	"github.com/wasla/wasla/yamlfile"
)

// Settings defaults (docs/flows.md).
var (
	defaultRestartWords = []string{"menu", "القائمة"}
	defaultOptOutWords  = []string{"stop", "إلغاء", "الغاء"}
	defaultOptInWords   = []string{"start", "ابدأ"}
	defaultBotWords     = []string{"bot", "بوت"}
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
	if eh := m.scalar("error_handoff"); eh != nil {
		l.queueRefs = append(l.queueRefs, queueRef{f: f, node: eh})
	}
	s.BotWords = foldWords(f, m, "bot_words")
	if qs := m.vals["queues"]; qs != nil && qs.Kind == yaml.MappingNode {
		s.Queues = loadQueues(f, qs, s.Timezone)
	}
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
	if s.BotWords == nil {
		s.BotWords = foldAll(defaultBotWords)
	}
	if s.Queues != nil {
		names := make([]string, 0, len(s.Queues))
		for name := range s.Queues {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, r := range l.queueRefs {
			if _, ok := s.Queues[r.node.Value]; !ok {
				r.f.errorAt(yamlfile.CodeUndefinedTarget, r.node, "queue `%s` is not declared in settings.queues%s", r.node.Value, yamlfile.DidYouMean(r.node.Value, names))
			}
		}
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

// loadQueues reads settings.queues: each queue's time zone (default the set's), weekly
// hours (default: always open) and holidays.
func loadQueues(f *file, n *yaml.Node, setZone *time.Location) map[string]*Queue {
	out := map[string]*Queue{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		q := &Queue{Name: k.Value}
		out[k.Value] = q
		if v.Kind != yaml.MappingNode {
			continue // an empty queue: always open; other shapes are reported by the shape check
		}
		m := f.view(v)
		sch := &schedule.Schedule{Zone: setZone}
		if tz := m.scalar("timezone"); tz != nil {
			loc, err := time.LoadLocation(tz.Value)
			if err != nil || tz.Value == "" || tz.Value == "Local" {
				f.errorAt(yamlfile.CodeBadValue, tz, "unknown time zone `%s`; want an IANA name like Asia/Riyadh or UTC", tz.Value)
			} else {
				sch.Zone = loc
			}
		}
		if h := m.scalar("hours"); h != nil {
			week, err := expr.ParseHours(h.Value)
			if err != nil {
				f.errorAt(yamlfile.CodeBadValue, h, "%v", err)
			}
			sch.Week = week
		}
		if hs := m.vals["holidays"]; hs != nil {
			sch.Holidays = map[schedule.Date]bool{}
			for _, d := range scalarNodes(hs) {
				date, err := schedule.ParseDate(d.Value)
				if err != nil {
					f.errorAt(yamlfile.CodeBadValue, d, "%v", err)
					continue
				}
				sch.Holidays[date] = true
			}
		}
		if sch.Week != nil || sch.Holidays != nil {
			q.Schedule = sch
		}
	}
	return out
}
