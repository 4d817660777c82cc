package engine

import (
	"slices"

	"github.com/wasla/wasla/flows"
)

// stepTag adds and removes tags of the contact.
func (r *run) stepTag(st *flows.Step) (action, flows.Target, error) {
	c := &r.st.Contact
	for _, t := range st.Tag.Add {
		if !c.HasTag(t) {
			c.Tags = append(c.Tags, t)
		}
	}
	c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return slices.Contains(st.Tag.Remove, t) })
	if len(c.Tags) == 0 {
		c.Tags = nil
	}
	return actNext, flows.Target{}, nil
}
