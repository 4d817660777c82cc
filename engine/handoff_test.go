package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// The harness clock starts on Monday 5 January 2026, 09:00 UTC (12:00 in Riyadh).
const queuesSettings = `settings:
  timezone: Asia/Riyadh
  queues:
    sales: {hours: "sun-thu 09:00-17:00", holidays: [2026-01-07]}
    night: {hours: "daily 20:00-23:00"}
`

const handoffFlow = `flow: help
triggers: [{keywords: [agent]}, {keywords: [night]}, {keywords: [late]}, {fallback: true}]
steps:
  - switch: message.folded
    cases:
      agent: human
      night: night
      late: late
    default: menu
  - id: menu
    say: "bot here"
  - end: true
  - id: human
    handoff: {queue: sales, say: "transferring", return_after: 2h, return_to: still_there}
  - id: night
    handoff: {queue: night, say: "transferring"}
  - id: late
    handoff: {queue: night, out_of_hours: {goto: leave_message}}
  - id: leave_message
    say: "leave us a message"
  - end: true
  - id: still_there
    say: "the bot is back: anything else?"
  - end: true
`

func handoffHarness(t *testing.T) *harness {
	return newHarness(t, map[string]string{"settings.yaml": queuesSettings, "help.yaml": handoffFlow}, engine.Options{})
}

func historyDetails(h *harness, kinds ...chat.EventKind) []string {
	var out []string
	for _, ev := range h.store.History("966500000001") {
		for _, k := range kinds {
			if ev.Kind == k {
				out = append(out, string(ev.Kind)+": "+ev.Detail)
			}
		}
	}
	return out
}

func TestHandoffOutOfHours(t *testing.T) {
	t.Run("open queue says say", func(t *testing.T) {
		h := handoffHarness(t)
		expect(t, "open", h.say("agent"), "transferring")
		if got := historyDetails(h, chat.EventHandoff); len(got) != 1 || got[0] != "handoff: sales" {
			t.Errorf("history %q", got)
		}
	})
	t.Run("closed queue says when it opens and still hands off", func(t *testing.T) {
		h := handoffHarness(t)
		got := h.say("night") // 12:00 in Riyadh; the night queue opens at 20:00
		if len(got) != 1 || !strings.Contains(got[0], "we open Monday 20:00") || !strings.Contains(got[0], "الاثنين الساعة 20:00") {
			t.Fatalf("closed hand-off said %q", got)
		}
		if st := h.state().Session; st.Mode != engine.ModeHuman || st.Queue != "night" {
			t.Errorf("mode %q queue %q, want human/night", st.Mode, st.Queue)
		}
		if got := historyDetails(h, chat.EventHandoff); len(got) != 1 || got[0] != "handoff: night (closed)" {
			t.Errorf("history %q", got)
		}
	})
	t.Run("holiday closes the queue", func(t *testing.T) {
		h := handoffHarness(t)
		h.clk.Advance(48 * time.Hour) // Wednesday 7 January, a holiday
		got := h.say("agent")
		if len(got) != 1 || !strings.Contains(got[0], "we open Thursday 09:00") {
			t.Fatalf("holiday hand-off said %q", got)
		}
	})
	t.Run("out_of_hours goto continues instead", func(t *testing.T) {
		h := handoffHarness(t)
		expect(t, "late", h.say("late"), "leave us a message")
		if st := h.state().Session; st.Mode == engine.ModeHuman {
			t.Error("a goto out_of_hours handed off")
		}
		if got := historyDetails(h, chat.EventHandoff); len(got) != 0 {
			t.Errorf("history %q, want no hand-off", got)
		}
	})
	t.Run("out_of_hours goto is not taken while open", func(t *testing.T) {
		h := handoffHarness(t)
		h.clk.Advance(9 * time.Hour) // 21:00 in Riyadh
		expect(t, "late at night", h.say("late"))
		if st := h.state().Session; st.Mode != engine.ModeHuman {
			t.Error("an open queue did not take the hand-off")
		}
	})
}

func TestBotWordReturnsToBot(t *testing.T) {
	h := handoffHarness(t)
	h.say("agent")
	expect(t, "while human", h.say("hello?"))
	expect(t, "bot word, folded: the restart flow answers", h.say(" BOT! "), "bot here")
	if st := h.state().Session; st.Mode != engine.ModeBot {
		t.Fatalf("mode %q after the bot word", st.Mode)
	}
	want := []string{"return: bot word: sales"}
	if got := historyDetails(h, chat.EventReturn); len(got) != 1 || got[0] != want[0] {
		t.Errorf("history %q, want %q", got, want)
	}

	// The restart flow (the fallback's flow here), also after a hand-off without return_to.
	h2 := handoffHarness(t)
	h2.say("night")
	expect(t, "Arabic bot word", h2.say("بوت"), "bot here")

	// The word means nothing while the bot has the conversation.
	h3 := handoffHarness(t)
	expect(t, "bot mode", h3.say("bot"), "bot here")
}

func TestReturnTimerContinuesAtReturnTo(t *testing.T) {
	h := handoffHarness(t)
	h.say("agent")
	h.clk.Advance(90 * time.Minute)
	if err := h.eng.AgentReply(context.Background(), "966500000001", "agent:sara", chat.Outbound{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	h.rec.Take()
	expect(t, "2h after the hand-off, 30m after the agent", h.advance(30*time.Minute))
	expect(t, "2h after the agent's reply", h.advance(90*time.Minute), "the bot is back: anything else?")
	if got := historyDetails(h, chat.EventReturn); len(got) != 1 || got[0] != "return: no agent reply: sales" {
		t.Errorf("history %q", got)
	}
	if st := h.state().Session; st.Mode != engine.ModeBot || st.ReturnTo != nil {
		t.Errorf("after the return: mode %q return_to %v", st.Mode, st.ReturnTo)
	}
}
