package flows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/wasla/wasla/yamlfile"
	"gopkg.in/yaml.v3"
)

// A session that waits (at a question, a wait or inside a called flow) stores the id of a
// step, and a reload must find the same step under that id. So a step without an `id`
// is named from what it is, never from where it stands: inserting, removing or moving
// other steps leaves its name alone. The positional name `<kind>_<n>` of earlier
// versions still works as a target inside the files, where it is resolved at load time.

// fingerprintSkips are the keys of a step that do not change what its question asks:
// a waiting customer's answer still belongs to a question whose retry text, retries,
// timeout or continuations changed.
var fingerprintSkips = []string{"id", "next", "retry", "max_retries", "on_fail", "timeout", "on_timeout"}

// nameSteps gives every step without an id its content name, then numbers repeats
// (`ask_name`, `ask_name_2`) in file order, and records each step's positional alias.
func nameSteps(fs *flowState) {
	taken := map[string]bool{}
	for _, ss := range fs.steps {
		if ss.explicit {
			taken[ss.step.ID] = true
		}
	}
	fs.aliases = map[string]string{}
	for _, ss := range fs.steps {
		if ss.kind == "" {
			continue // unreadable; reported already
		}
		if !ss.explicit {
			base := contentName(ss)
			id := base
			for n := 2; taken[id]; n++ {
				id = fmt.Sprintf("%s_%d", base, n)
			}
			if id != base && waitsForAnswer(ss.step) {
				fs.f.warnAt(yamlfile.CodeDuplicate, ss.node, "this question is named `%s` after another step named `%s` in this flow; give both an `id` so that a customer answering one while the flow is edited is never bound to the other", id, base)
			}
			taken[id] = true
			ss.step.ID = id
		}
		ss.step.Fingerprint = fingerprint(ss.node)
		fs.aliases[ss.alias] = ss.step.ID
	}
}

// waitsForAnswer reports whether a step waits for the customer's answer.
func waitsForAnswer(s *Step) bool {
	switch s.Kind {
	case StepAsk:
		return true
	case StepButtons:
		return s.Buttons != nil && s.Buttons.Await
	case StepList:
		return s.List != nil && s.List.Await
	}
	return false
}

// contentName is a step's name from its kind and the field that says what it is for:
// the variable an ask, a waiting choice or an http step saves, the flow a call runs,
// the queue of a hand-off, the length of a wait; other steps are named by a short hash
// of their content.
func contentName(ss *stepState) string {
	s := ss.step
	key := ""
	switch s.Kind {
	case StepAsk:
		key = s.Ask.Save
	case StepButtons:
		key = s.Buttons.Save
	case StepList:
		key = s.List.Save
	case StepHTTP:
		key = s.HTTP.Save
	case StepCall:
		key = s.Call
	case StepHandoff:
		if s.Handoff != nil {
			key = s.Handoff.Queue
		}
	case StepWait:
		if v := valueOf(ss.node, "wait"); v != nil && v.Kind == yaml.ScalarNode {
			key = v.Value
		}
	}
	if key = nameSafe(key); key == "" {
		key = fingerprint(ss.node)[:6]
	}
	return ss.kind + "_" + key
}

// nameSafe keeps the characters a step id may hold and turns the others into _.
func nameSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// fingerprint hashes a step's content, whatever its layout, comments or key order,
// without the keys that leave its question the same (fingerprintSkips).
func fingerprint(n *yaml.Node) string {
	h := sha256.New()
	var walk func(n *yaml.Node, top bool)
	walk = func(n *yaml.Node, top bool) {
		switch n.Kind {
		case yaml.MappingNode:
			type pair struct{ k, v *yaml.Node }
			var pairs []pair
			for i := 0; i+1 < len(n.Content); i += 2 {
				if top && slices.Contains(fingerprintSkips, n.Content[i].Value) {
					continue
				}
				pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
			}
			slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.k.Value, b.k.Value) })
			h.Write([]byte("{"))
			for _, p := range pairs {
				fmt.Fprintf(h, "%q:", p.k.Value)
				walk(p.v, false)
			}
			h.Write([]byte("}"))
		case yaml.SequenceNode:
			h.Write([]byte("["))
			for _, c := range n.Content {
				walk(c, false)
			}
			h.Write([]byte("]"))
		case yaml.DocumentNode, yaml.AliasNode:
			for _, c := range n.Content {
				walk(c, false)
			}
		default:
			fmt.Fprintf(h, "%q,", n.Value)
		}
	}
	walk(n, true)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// valueOf returns the value of key in a mapping node, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
