package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// The 24-hour window runs from the newest message of the contact on a number, whatever
// order the webhooks arrive in: a late delivery of an older message never shortens it.
func TestWindowFollowsTheNewestMessage(t *testing.T) {
	tests := []struct {
		name string
		ages []time.Duration // how long before now each message was written, in arrival order
		want time.Duration   // how long before now the window starts
	}{
		{name: "in order", ages: []time.Duration{2 * time.Hour, time.Hour}, want: time.Hour},
		{name: "older one late", ages: []time.Duration{time.Hour, 5 * time.Hour}, want: time.Hour},
		{name: "one message", ages: []time.Duration{3 * time.Hour}, want: 3 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"a.yaml": "flow: a\ntriggers:\n  - fallback: true\nsteps:\n  - say: ok\n"}, engine.Options{})
			for _, age := range tt.ages {
				h.send(chat.Inbound{Text: "hi", At: h.clk.Now().Add(-age)})
			}
			st, err := h.eng.State(context.Background(), "966500000001")
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Contact.Windows["inbox"]; !got.Equal(h.clk.Now().Add(-tt.want)) {
				t.Fatalf("window of inbox starts %v before now, want %v", h.clk.Now().Sub(got), tt.want)
			}
		})
	}
}
