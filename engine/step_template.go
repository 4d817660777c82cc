package engine

import (
	"fmt"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// stepTemplate sends an approved WhatsApp template with its rendered parameters.
func (r *run) stepTemplate(st *flows.Step) (action, flows.Target, error) {
	tm := &chat.Template{Name: st.Template.Name, Language: st.Template.Language}
	for _, p := range st.Template.Params {
		v, err := r.render(p)
		if err != nil {
			return 0, flows.Target{}, err
		}
		if err := fits(fmt.Sprintf("template parameter %d", len(tm.Params)+1), v, flows.MaxTemplateParam); err != nil {
			return 0, flows.Target{}, err
		}
		tm.Params = append(tm.Params, v)
	}
	r.reply(chat.Outbound{Kind: chat.KindTemplate, Template: tm})
	return actNext, flows.Target{}, nil
}
