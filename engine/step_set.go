package engine

import (
	"strings"

	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
)

// stepSet evaluates each assignment in order and stores its value.
func (r *run) stepSet(st *flows.Step) (action, flows.Target, error) {
	for _, a := range st.Set {
		v, err := a.Value.Eval(r.env())
		if err != nil {
			return 0, flows.Target{}, err
		}
		r.assign(a.Name, v)
	}
	return actNext, flows.Target{}, nil
}

// assign writes a set step's value: a session variable, or a contact field that outlives
// the conversation (the loader allows only contact.name, contact.language and
// contact.attrs.<key>).
func (r *run) assign(name string, v any) {
	c := &r.st.Contact
	switch {
	case name == "contact.name":
		c.Name = expr.FormatValue(v)
	case name == "contact.language":
		c.Language = expr.FormatValue(v)
	case strings.HasPrefix(name, "contact.attrs."):
		if c.Attrs == nil {
			c.Attrs = map[string]string{}
		}
		c.Attrs[strings.TrimPrefix(name, "contact.attrs.")] = expr.FormatValue(v)
	default:
		r.sess().Vars[name] = v
	}
}
