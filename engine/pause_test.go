package engine_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wasla/wasla/engine"
)

// Regression (issue 10): a say before an http step reached the customer only after the
// call returned, seconds late and together with what followed.
func TestSayBeforeASlowStepIsSentBeforeTheCall(t *testing.T) {
	const flow = `flow: track
triggers: [{keywords: [track]}]
steps:
  - say: "one moment, {{ message.text }}"
  - http: {get: "https://carrier.example/track"}
    save: shipment
    on_error: failed
  - say: "status: {{ vars.shipment.status }} ({{ message.text }})"
  - end: true
  - id: failed
    say: "sorry"
`
	var h *harness
	var sentAtCall []string
	var versionAtCall int64
	doer := doerFunc(func(*http.Request) (*http.Response, error) {
		sentAtCall = texts(h.rec.Sent())
		versionAtCall = h.state().Version
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"status": "on its way"}`))}, nil
	})
	h = newHarness(t, map[string]string{"track.yaml": flow}, engine.Options{HTTP: doer})
	expect(t, "replies", h.say("track"), "one moment, track", "status: on its way (track)")
	expect(t, "sent when the call started", sentAtCall, "one moment, track")
	if versionAtCall != 1 || h.state().Version != 2 {
		t.Errorf("versions: %d at the call, %d after; want the say committed before the call (1) and the rest after (2)", versionAtCall, h.state().Version)
	}
	if s := h.state().Session; s.Flow != "" {
		t.Errorf("session still in flow %q at step %q", s.Flow, s.Step)
	}
}
