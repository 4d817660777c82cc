package inbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/inbox"
)

// TestSLACountsQueueHours: the flows' settings.queues give sales 08:00-17:00 on weekdays;
// a hand-off at 16:50 with a 15-minute first-response target is due at 08:05 the next
// morning, not at 17:05.
func TestSLACountsQueueHours(t *testing.T) {
	h := newHarness(t)
	h.clk.Set(time.Date(2026, 12, 2, 16, 50, 0, 0, time.UTC))
	h.write(inboxNum, "موظف")
	var list listAnswer
	if code := h.call(saraToken, "GET", "/conversations?view=waiting", nil, &list); code != http.StatusOK || len(list.Conversations) != 1 {
		t.Fatalf("list answered %d with %+v", code, list)
	}
	want := time.Date(2026, 12, 3, 8, 5, 0, 0, time.UTC)
	if d := list.Conversations[0].Deadline; d == nil || d.Kind != inbox.SLAFirstResponse || !d.At.Equal(want) {
		t.Errorf("deadline = %+v, want first response at %v", d, want)
	}
	// Answering at 08:01 the next day is in time: no breach.
	h.call(saraToken, "POST", "/conversations/"+string(customer)+"/claim", nil, nil)
	h.clk.Set(time.Date(2026, 12, 3, 8, 1, 0, 0, time.UTC))
	if code := h.call(saraToken, "POST", "/conversations/"+string(customer)+"/reply", map[string]string{"text": "صباح الخير"}, nil); code != http.StatusOK {
		t.Fatalf("reply answered %d", code)
	}
	if got := h.metric(t, "wasla_inbox_sla_breaches_total"); got != 0 {
		t.Errorf("SLA breaches = %v, want 0: the queue was closed overnight", got)
	}
}

// TestBotWordClosesTheConversation: the customer's bot word gives the conversation back to
// the bot while an agent holds it; the inbox closes it with the reason.
func TestBotWordClosesTheConversation(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	h.call(saraToken, "POST", "/conversations/"+string(customer)+"/claim", nil, nil)
	var list listAnswer
	h.call(saraToken, "GET", "/conversations", nil, &list)
	before := len(h.sent.all())
	h.write(inboxNum, "بوت")
	sent := h.sent.all()[before:]
	if len(sent) != 1 || sent[0].Kind != chat.KindButtons {
		t.Fatalf("after the bot word the bot sent %+v, want the restart flow's buttons", sent)
	}
	c := h.conversation(saraToken)
	if c.State != inbox.StateClosed || !strings.Contains(c.ClosedReason, "bot word") {
		t.Errorf("after the bot word: state %q, reason %q", c.State, c.ClosedReason)
	}
	// Every agent's page learns it live: the return and the closed conversation come on
	// the event stream.
	var sawReturn, sawClosed bool
	for _, e := range h.readSSE(saraToken, list.After) {
		if m := e.data.Message; m != nil && m.Kind == chat.EventReturn && strings.HasPrefix(m.Detail, "bot word") {
			sawReturn = true
		}
		if cv := e.data.Conversation; cv != nil && cv.State == inbox.StateClosed {
			sawClosed = true
		}
	}
	if !sawReturn || !sawClosed {
		t.Errorf("event stream: return event %v, closed conversation %v; want both", sawReturn, sawClosed)
	}
}

// TestReturnTimerOnRedis: the hand-off's return_after is a timer in Redis that each agent
// reply pushes back; when it fires the flows continue at return_to and the inbox closes the
// conversation saying why.
func TestReturnTimerOnRedis(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.write(inboxNum, "callback")
	p := "/conversations/" + string(customer)
	h.call(saraToken, "POST", p+"/claim", nil, nil)
	h.clk.Advance(time.Hour)
	if code := h.call(saraToken, "POST", p+"/reply", map[string]string{"text": "checking"}, nil); code != http.StatusOK {
		t.Fatalf("reply answered %d", code)
	}
	before := len(h.sent.all())
	h.clk.Advance(90 * time.Minute) // 2h30m after the hand-off, 1h30m after the reply
	if n, err := h.eng.RunDue(ctx); err != nil || n != 0 {
		t.Fatalf("RunDue 1h30m after the agent's reply = %d, %v; want nothing due", n, err)
	}
	h.clk.Advance(31 * time.Minute)
	if n, err := h.eng.RunDue(ctx); err != nil || n != 1 {
		t.Fatalf("RunDue 2h01m after the agent's reply = %d, %v; want the return", n, err)
	}
	sent := h.sent.all()[before:]
	if len(sent) != 1 || sent[0].Text != "Sorry, nobody could answer; the bot is back." {
		t.Fatalf("at the return the bot sent %+v, want return_to's text", sent)
	}
	c := h.conversation(saraToken)
	if c.State != inbox.StateClosed || !strings.Contains(c.ClosedReason, "no agent reply") {
		t.Errorf("after the return: state %q, reason %q", c.State, c.ClosedReason)
	}
}

// conversation reads the customer's conversation record through the API.
func (h *harness) conversation(token string) *inbox.Conversation {
	h.t.Helper()
	var d struct {
		Conversation *inbox.Conversation `json:"conversation"`
	}
	if code := h.call(token, "GET", "/conversations/"+string(customer), nil, &d); code != http.StatusOK || d.Conversation == nil {
		h.t.Fatalf("reading the conversation answered %d", code)
	}
	return d.Conversation
}
