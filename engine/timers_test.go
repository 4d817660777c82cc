package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// timerNotes records what Options.OnTimer was told.
type timerNotes struct {
	mu  sync.Mutex
	due map[chat.ContactID]time.Time
}

func (n *timerNotes) note(id chat.ContactID, due time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.due[id] = due
}

func (n *timerNotes) get(id chat.ContactID) time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.due[id]
}

// TestFireDueAtTheNotedTime: a commit that sets a timer tells OnTimer when it is due, and
// FireDue at that moment answers the burst; before it, and after the timer fired, FireDue
// changes nothing and commits nothing.
func TestFireDueAtTheNotedTime(t *testing.T) {
	notes := &timerNotes{due: map[chat.ContactID]time.Time{}}
	h := newHarness(t, map[string]string{
		"settings.yaml": "settings:\n  burst_window: 3s\n",
		"hello.yaml":    "flow: hello\ntriggers: [{fallback: true}]\nsteps:\n  - say: \"got: {{ message.text }}\"\n",
	}, engine.Options{OnTimer: notes.note})
	const who chat.ContactID = "966500000001"
	ctx := context.Background()
	expect(t, "first of burst", h.say("hi"))
	if got, want := notes.get(who), start.Add(3*time.Second); !got.Equal(want) {
		t.Fatalf("OnTimer told %v, want %v", got, want)
	}
	version := func() int64 { return h.state().Version }
	before := version()
	if fired, err := h.eng.FireDue(ctx, who); fired || err != nil {
		t.Fatalf("FireDue before the timer = %v, %v", fired, err)
	}
	expect(t, "fired before its time", texts(h.rec.Take()))
	if v := version(); v != before {
		t.Errorf("FireDue before the timer committed (version %d → %d)", before, v)
	}
	h.clk.Advance(3 * time.Second)
	if fired, err := h.eng.FireDue(ctx, who); !fired || err != nil {
		t.Fatalf("FireDue at the timer = %v, %v", fired, err)
	}
	expect(t, "fired at its time", texts(h.rec.Take()), "got: hi")
	after := version()
	if fired, err := h.eng.FireDue(ctx, who); fired || err != nil {
		t.Fatalf("FireDue after the timer fired = %v, %v", fired, err)
	}
	expect(t, "fired twice", texts(h.rec.Take()))
	if v := version(); v != after {
		t.Errorf("a second FireDue committed (version %d → %d)", after, v)
	}
}
