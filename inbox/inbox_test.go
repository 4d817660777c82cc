package inbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/inbox"
)

type listAnswer struct {
	After         string         `json:"after"`
	Counts        map[string]int `json:"counts"`
	Unread        map[string]int `json:"unread"`
	Conversations []struct {
		inbox.Conversation
		Deadline *inbox.Deadline `json:"deadline"`
		Overdue  bool            `json:"overdue"`
	} `json:"conversations"`
}

func TestHandoffClaimReplyRelease(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.write(inboxNum, "أريد التحدث إلى موظف please")

	var list listAnswer
	if code := h.call(saraToken, "GET", "/conversations?view=waiting", nil, &list); code != http.StatusOK {
		t.Fatalf("list answered %d", code)
	}
	if len(list.Conversations) != 1 {
		t.Fatalf("waiting list has %d conversations, want 1: %+v", len(list.Conversations), list)
	}
	c := list.Conversations[0]
	if c.Contact != customer || c.Queue != "sales" || c.State != inbox.StateWaiting || c.Unread != 1 || c.Name != "أحمد" {
		t.Errorf("conversation = %+v", c.Conversation)
	}
	if c.Deadline == nil || c.Deadline.Kind != inbox.SLAFirstResponse || !c.Deadline.At.Equal(start.Add(15*time.Minute)) {
		t.Errorf("deadline = %+v, want first response at hand-off + 15m", c.Deadline)
	}

	// A reply before claiming is refused; a claim sends the read receipt.
	if code := h.call(saraToken, "POST", "/conversations/"+string(customer)+"/reply", map[string]string{"text": "hi"}, nil); code != http.StatusConflict {
		t.Errorf("reply before claim answered %d, want 409", code)
	}
	if got := h.reads.all(); len(got) != 0 {
		t.Errorf("read receipts before the claim: %v", got)
	}
	if code := h.call(saraToken, "POST", "/conversations/"+string(customer)+"/claim", nil, nil); code != http.StatusOK {
		t.Fatalf("claim answered %d", code)
	}
	if got := h.reads.all(); len(got) != 1 || !strings.HasPrefix(got[0], string(inboxNum)+"/wamid.") {
		t.Errorf("read receipts after the claim = %v, want one for the customer's message", got)
	}

	h.clk.Advance(20 * time.Minute) // past the 15-minute first-response target
	before := len(h.sent.all())
	var res inbox.ReplyResult
	if code := h.call(saraToken, "POST", "/conversations/"+string(customer)+"/reply", map[string]string{"text": "أهلاً أحمد، كيف أساعدك؟ Order #12"}, &res); code != http.StatusOK {
		t.Fatalf("reply answered %d", code)
	}
	sent := h.sent.all()[before:]
	if len(sent) != 1 || sent[0].Text != "أهلاً أحمد، كيف أساعدك؟ Order #12" || sent[0].From != inboxNum {
		t.Fatalf("sent = %+v, want the agent's text from the inbox number", sent)
	}
	if res.From != inboxNum || !res.Billable || res.Billing != "billed: service message" {
		t.Errorf("reply result = %+v", res)
	}

	// The history holds the agent's reply, named.
	evs, _, err := h.ib.Thread(ctx, h.agent("sara"), customer)
	if err != nil {
		t.Fatal(err)
	}
	last := evs[len(evs)-1]
	if last.Kind != chat.EventAgent || last.Detail != "sara" {
		t.Errorf("last history event = %+v, want sara's agent reply", last)
	}

	var rel inbox.Conversation
	if code := h.call(saraToken, "POST", "/conversations/"+string(customer)+"/release", nil, &rel); code != http.StatusOK {
		t.Fatalf("release answered %d", code)
	}
	if rel.State != inbox.StateClosed || !strings.Contains(rel.ClosedReason, "released") {
		t.Errorf("after release = %+v", rel)
	}
	st, err := h.eng.State(ctx, customer)
	if err != nil {
		t.Fatal(err)
	}
	if st.Session.Mode == engine.ModeHuman {
		t.Error("the contact is still in human mode after release")
	}
	if got := h.metric(t, "wasla_inbox_sla_breaches_total"); got != 1 {
		t.Errorf("SLA breaches = %v, want 1 (the first reply came after 20m of a 15m target)", got)
	}
}

// metric sums the values of the inbox metric name over its labels.
func (h *harness) metric(t *testing.T, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.ib.Collectors()...)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// Two agents claiming the same conversation at once: exactly one wins, on real Redis.
func TestClaimRaceExactlyOneWins(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	ctx := context.Background()
	const rounds = 20
	for round := range rounds {
		if round > 0 {
			// Put the conversation back in the queue for the next round.
			if _, err := h.ib.Transfer(ctx, h.agent("boss"), customer, "sales", ""); err != nil {
				t.Fatal(err)
			}
		}
		agents := []*inbox.Agent{h.agent("sara"), h.agent("omar"), h.agent("boss")}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won []string
		var lost int
		for _, a := range agents {
			wg.Go(func() {
				c, err := h.ib.Claim(ctx, a, customer)
				mu.Lock()
				defer mu.Unlock()
				var ce *inbox.ClaimedError
				switch {
				case err == nil:
					won = append(won, c.Assignee)
				case errors.As(err, &ce):
					lost++
				default:
					t.Errorf("claim: %v", err)
				}
			})
		}
		wg.Wait()
		if len(won) != 1 || lost != len(agents)-1 {
			t.Fatalf("round %d: winners %v, losers %d; want exactly one winner", round, won, lost)
		}
		c, err := h.ib.Conversation(ctx, h.agent("boss"), customer)
		if err != nil {
			t.Fatal(err)
		}
		if c.Assignee != won[0] || c.State != inbox.StateAssigned {
			t.Fatalf("round %d: stored assignee %q, winner %q", round, c.Assignee, won[0])
		}
	}
}

func TestAuthAndQueues(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	path := "/conversations/" + string(customer)
	tests := []struct {
		name, token, method, path string
		want                      int
	}{
		{"no token", "", "GET", "/conversations", http.StatusUnauthorized},
		{"wrong token", "not-a-token", "GET", "/conversations", http.StatusUnauthorized},
		{"token of a hash", "e27c871fe2892da6bbbc9289eb0d1fd8ed9b23bfc880745a8b706bea8f269778", "GET", "/me", http.StatusUnauthorized},
		{"agent of the queue", saraToken, "GET", path, http.StatusOK},
		{"agent of another queue reads", linaToken, "GET", path, http.StatusForbidden},
		{"agent of another queue claims", linaToken, "POST", path + "/claim", http.StatusForbidden},
		{"agent lists another queue", linaToken, "GET", "/conversations?queue=sales", http.StatusForbidden},
		{"agents list is admin only", saraToken, "GET", "/agents", http.StatusForbidden},
		{"admin lists agents", adminToken, "GET", "/agents", http.StatusOK},
		{"unknown conversation", saraToken, "GET", "/conversations/1234", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.call(tt.token, tt.method, tt.path, nil, nil); got != tt.want {
				t.Errorf("%s %s answered %d, want %d", tt.method, tt.path, got, tt.want)
			}
		})
	}
	logs := h.logs.String()
	for _, secret := range []string{saraToken, linaToken, "not-a-token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds the token %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "agent refused") || !strings.Contains(logs, "agent=lina") {
		t.Errorf("a 403 is not logged with the agent:\n%s", logs)
	}
	if !strings.Contains(logs, "without a valid agent token") {
		t.Errorf("a 401 is not logged:\n%s", logs)
	}
	// Lina's list holds nothing of sales.
	var list listAnswer
	h.call(linaToken, "GET", "/conversations?view=all", nil, &list)
	if len(list.Conversations) != 0 {
		t.Errorf("lina sees %d conversations of a queue she is not in", len(list.Conversations))
	}
}

// Another agent's conversation cannot be answered, released or closed by a colleague.
func TestOwnership(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	p := "/conversations/" + string(customer)
	var lost struct {
		ClaimedBy string `json:"claimed_by"`
	}
	if code := h.call(saraToken, "POST", p+"/claim", nil, nil); code != http.StatusOK {
		t.Fatalf("claim answered %d", code)
	}
	if code := h.call(omarToken, "POST", p+"/claim", nil, &lost); code != http.StatusConflict || lost.ClaimedBy != "sara" {
		t.Errorf("second claim answered %d %+v, want 409 claimed by sara", code, lost)
	}
	for _, action := range []string{"/release", "/close"} {
		if code := h.call(omarToken, "POST", p+action, nil, nil); code != http.StatusForbidden {
			t.Errorf("omar %s answered %d, want 403", action, code)
		}
	}
	if code := h.call(omarToken, "POST", p+"/reply", map[string]string{"text": "x"}, nil); code != http.StatusForbidden {
		t.Errorf("omar's reply answered %d, want 403", code)
	}
	// Transfer to omar: now he may answer.
	if code := h.call(saraToken, "POST", p+"/transfer", map[string]string{"agent": "omar"}, nil); code != http.StatusOK {
		t.Fatalf("transfer answered %d", code)
	}
	if code := h.call(omarToken, "POST", p+"/reply", map[string]string{"text": "Omar here"}, nil); code != http.StatusOK {
		t.Errorf("omar's reply after the transfer answered %d", code)
	}
	// Transfer to a queue sara is not in, then lina may claim it.
	if code := h.call(omarToken, "POST", p+"/transfer", map[string]string{"queue": "support"}, nil); code != http.StatusOK {
		t.Fatalf("transfer to support answered %d", code)
	}
	if code := h.call(linaToken, "POST", p+"/claim", nil, nil); code != http.StatusOK {
		t.Errorf("lina's claim in support answered %d", code)
	}
	if code := h.call(saraToken, "GET", p, nil, nil); code != http.StatusForbidden {
		t.Errorf("sara reads a support conversation: %d, want 403", code)
	}
}

func TestWindowClosedOffersOnlyTemplates(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	p := "/conversations/" + string(customer)
	h.call(saraToken, "POST", p+"/claim", nil, nil)
	var detail struct {
		Reply    inbox.ReplyInfo `json:"reply"`
		Deadline *inbox.Deadline `json:"deadline"`
	}
	h.call(saraToken, "GET", p, nil, &detail)
	if !detail.Reply.WindowOpen || detail.Reply.TemplatesOnly || detail.Reply.From != inboxNum {
		t.Errorf("inside the window: %+v", detail.Reply)
	}
	if got := detail.Reply.Canned[0].Text; got != "مرحباً أحمد، معك Sara من فريق المبيعات." {
		t.Errorf("canned reply = %q, placeholders not filled", got)
	}

	h.clk.Advance(25 * time.Hour)
	h.call(saraToken, "GET", p, nil, &detail)
	r := detail.Reply
	if r.WindowOpen || !r.TemplatesOnly || len(r.Templates) != 2 {
		t.Fatalf("outside the window: %+v", r)
	}
	if r.Templates[0].Params[0] != "أحمد" || r.Templates[1].Billing != "billed: marketing template" {
		t.Errorf("templates = %+v", r.Templates)
	}
	if code := h.call(saraToken, "POST", p+"/reply", map[string]string{"text": "late"}, nil); code != http.StatusConflict {
		t.Errorf("free-form reply outside the window answered %d, want 409", code)
	}
	before := len(h.sent.all())
	if code := h.call(saraToken, "POST", p+"/reply", map[string]string{"template": "follow_up"}, nil); code != http.StatusOK {
		t.Fatalf("template reply answered %d", code)
	}
	sent := h.sent.all()[before:]
	if len(sent) != 1 || sent[0].Kind != chat.KindTemplate || sent[0].Template.Name != "follow_up" || sent[0].Template.Params[0] != "أحمد" {
		t.Errorf("sent = %+v", sent)
	}
}

func TestSearchFoldsArabic(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف لو سمحت")
	h.write(inboxNum, "طلبي رقم ٦٥٤٣٢١")
	tests := []struct {
		q    string
		want int
	}{
		{"احمد", 1},        // أحمد without hamza
		{"654321", 1},      // Arabic-Indic digits of the message
		{"٩٦٦٥٠", 1},       // the number, in Arabic-Indic digits
		{"طلبى", 1},        // alef maqsura for ya
		{"nobody-here", 0}, // no match
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			var list listAnswer
			h.call(saraToken, "GET", "/conversations?view=all&q="+urlQuery(tt.q), nil, &list)
			if len(list.Conversations) != tt.want {
				t.Errorf("search %q found %d, want %d", tt.q, len(list.Conversations), tt.want)
			}
		})
	}
}

func TestNotesLabelsAndSeen(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	h.write(inboxNum, "؟")
	p := "/conversations/" + string(customer)
	if code := h.call(saraToken, "POST", p+"/notes", map[string]string{"text": "عميل مهم — VIP"}, nil); code != http.StatusCreated {
		t.Errorf("note answered %d", code)
	}
	var c inbox.Conversation
	h.call(saraToken, "PUT", p+"/labels", map[string][]string{"labels": {"vip", " vip", "طلب"}}, &c)
	if strings.Join(c.Labels, ",") != "vip,طلب" {
		t.Errorf("labels = %q", c.Labels)
	}
	if c.Unread != 2 {
		t.Errorf("unread = %d, want 2", c.Unread)
	}
	h.call(saraToken, "POST", p+"/seen", nil, &c)
	if c.Unread != 0 {
		t.Errorf("unread after seen = %d", c.Unread)
	}
	if got := h.reads.all(); len(got) != 0 {
		t.Errorf("opening the thread sent read receipts %v; only a claim may", got)
	}
	var hist struct {
		Events []chat.Event `json:"events"`
		Notes  []inbox.Note `json:"notes"`
	}
	h.call(saraToken, "GET", p+"/history", nil, &hist)
	if len(hist.Notes) != 1 || hist.Notes[0].Agent != "sara" {
		t.Errorf("notes = %+v", hist.Notes)
	}
	kinds := []string{}
	for _, e := range hist.Events {
		kinds = append(kinds, string(e.Kind))
	}
	if got := strings.Join(kinds, " "); got != "inbound outbound handoff inbound" {
		t.Errorf("history kinds = %q", got)
	}
}

func TestReleaseAtAStep(t *testing.T) {
	h := newHarness(t)
	h.write(inboxNum, "موظف")
	p := "/conversations/" + string(customer)
	h.call(saraToken, "POST", p+"/claim", nil, nil)
	if code := h.call(saraToken, "POST", p+"/release", map[string]string{"flow": "fallback", "step": "nope"}, nil); code != http.StatusBadRequest {
		t.Errorf("release at a missing step answered %d, want 400", code)
	}
	before := len(h.sent.all())
	var c inbox.Conversation
	if code := h.call(saraToken, "POST", p+"/release", map[string]string{"flow": "fallback"}, &c); code != http.StatusOK {
		t.Fatalf("release at fallback answered %d", code)
	}
	if c.State != inbox.StateClosed || c.ClosedReason != "released to the bot at fallback by Sara" {
		t.Errorf("after release = %+v", c)
	}
	sent := h.sent.all()[before:]
	if len(sent) != 1 || sent[0].Kind != chat.KindButtons {
		t.Fatalf("the bot sent %+v, want the fallback flow's buttons at once", sent)
	}
	st, err := h.eng.State(context.Background(), customer)
	if err != nil {
		t.Fatal(err)
	}
	if st.Session.Mode == engine.ModeHuman {
		t.Errorf("session after release = %+v", st.Session)
	}
}
