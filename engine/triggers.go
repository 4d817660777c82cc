package engine

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
)

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
	var env *expr.Env
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

// otherReply returns the button or list trigger that a pressed reply id starts when that
// id is not one of the choices the session waits for; nil otherwise.
func (r *run) otherReply(in chat.Inbound) *flows.Trigger {
	if in.ReplyID == "" {
		return nil
	}
	a := r.sess().Await
	if f := r.l.set.Flows[a.Flow]; f != nil {
		if st, _, ok := f.Step(a.Step); ok {
			for _, c := range choicesOf(st) {
				if c.ID == in.ReplyID {
					return nil
				}
			}
		}
	}
	for _, t := range r.l.set.Triggers {
		if t.Kind == flows.TriggerReply && slices.Contains(t.ReplyIDs, in.ReplyID) {
			return t
		}
	}
	return nil
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
