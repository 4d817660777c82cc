package engine

import "github.com/wasla/wasla/flows"

// stepEnd sends its last words, if any, and ends the conversation.
func (r *run) stepEnd(st *flows.Step) (action, flows.Target, error) {
	text, err := r.render(st.End)
	if err != nil {
		return 0, flows.Target{}, err
	}
	r.say(text)
	r.endSession()
	return actStop, flows.Target{}, nil
}
