package engine

import (
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
)

// stepMedia sends an image, document, audio or video by id or rendered URL.
func (r *run) stepMedia(st *flows.Step) (action, flows.Target, error) {
	m := st.Media
	url, err := r.render(m.URL)
	if err != nil {
		return 0, flows.Target{}, err
	}
	caption, err := r.render(m.Caption)
	if err != nil {
		return 0, flows.Target{}, err
	}
	if err := fits("caption", caption, flows.MaxCaption); err != nil {
		return 0, flows.Target{}, err
	}
	r.reply(chat.Outbound{Kind: chat.Kind(m.Kind), Media: &chat.Media{ID: m.ID, URL: url, Caption: caption, Filename: m.Filename}})
	return actNext, flows.Target{}, nil
}
