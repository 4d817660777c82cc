package engine

import "github.com/wasla/wasla/flows"

// stepSay sends a text message.
func (r *run) stepSay(st *flows.Step) (action, flows.Target, error) {
	text, err := r.render(st.Say)
	if err != nil {
		return 0, flows.Target{}, err
	}
	r.say(text)
	return actNext, flows.Target{}, nil
}
