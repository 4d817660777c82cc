package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

// callsWebhook is Meta's calls sample (calls.json) addressed to phone number id number,
// every call stamped at.
func callsWebhook(t *testing.T, number string, at time.Time) []byte {
	t.Helper()
	root := decode(t, sample(t, "calls.json"))
	for _, c := range root["entry"].([]any)[0].(map[string]any)["changes"].([]any) {
		v := c.(map[string]any)["value"].(map[string]any)
		v["metadata"].(map[string]any)["phone_number_id"] = number
		for _, call := range v["calls"].([]any) {
			call.(map[string]any)["timestamp"] = strconv.FormatInt(at.Unix(), 10)
		}
	}
	return encode(t, root)
}

// restrictionWebhook is an account_update ACCOUNT_RESTRICTION of the account waba with
// RESTRICTED_BIZ_INITIATED_MESSAGING until until, in the shape of Meta's sample.
func restrictionWebhook(t *testing.T, waba string, at, until time.Time) []byte {
	t.Helper()
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"time":%d,"changes":[{"field":"account_update",`+
		`"value":{"event":"ACCOUNT_RESTRICTION","restriction_info":[{"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":%d}]}}]}]}`,
		waba, at.Unix(), until.Unix()))
}

// Issue 8 item 4 against the real binary and redis-server: calls land in the history once
// each, however often Meta delivers them, are never marked read and start nothing; a
// campaign number restricted from starting conversations still answers inside the window,
// while a reply outside it leaves as a template from the inbox, never from that number.
func TestServeCallsAndRepliesOnlyNumber(t *testing.T) {
	e := start(t)
	if e == nil {
		return
	}
	const sheena, ahmad = "16505551234", "966501234567"
	calls := callsWebhook(t, inboxID, time.Now())
	e.p.mustPost(calls)
	e.p.mustPost(calls) // delivered twice
	eventually(t, "the calls in the history", func() bool {
		return summary(e.history(t, sheena)) == "call@"+inboxID+" call@"+inboxID+" call@"+inboxID &&
			summary(e.history(t, ahmad)) == "call@"+inboxID
	})
	var details []string
	for _, ev := range e.history(t, sheena) {
		if ev.Kind != chat.EventCall || ev.Inbound == nil || ev.Inbound.Call == nil {
			t.Fatalf("history entry %+v is not a call", ev)
		}
		details = append(details, ev.Detail)
	}
	if got := strings.Join(details, " | "); got != "call from the customer: ringing | call from the customer: ended after 60 s | call from the business: ended after 60 s" {
		t.Errorf("call details = %s", got)
	}

	// The hold campaign number's account may no longer start conversations.
	e.p.mustPost(restrictionWebhook(t, holdWABA, time.Now(), time.Now().Add(7*24*time.Hour)))
	eventually(t, "the replies-only state", func() bool {
		return e.metric(t, `wasla_number_state{number="`+holdID+`",role="campaign",state="replies_only"}`) == 1
	})
	const rana = "966501112233"
	e.p.mustPost(textWebhook(t, inbound{number: holdID, display: holdDisplay, from: rana, name: "Rana", id: "wamid.E2E.R1", text: "hello"}))
	got := waitSent(t, e.graph, 2, replies(rana))
	for _, s := range got {
		if s.Number != holdID || s.Type == "template" {
			t.Errorf("in-window reply = %+v, want it from the replies-only number %s", s, holdID)
		}
	}
	// A customer whose message is a day old: the window is closed, and the template that
	// stands in for the reply leaves from the inbox, never from the replies-only number.
	const omar = "966504445566"
	e.p.mustPost(textWebhook(t, inbound{number: holdID, display: holdDisplay, from: omar, name: "Omar", id: "wamid.E2E.O1", text: "hello",
		at: time.Now().Add(-25 * time.Hour)}))
	got = waitSent(t, e.graph, 1, replies(omar))
	if got[0].Number != inboxID || got[0].Type != "template" || got[0].Template != "follow_up" {
		t.Errorf("out-of-window reply = %+v, want the follow_up template from the inbox", got[0])
	}
	if s := e.graph.Sent(func(s sent) bool { return s.Number == holdID && s.Type == "template" }); len(s) != 0 {
		t.Errorf("templates sent from the replies-only number: %+v", s)
	}
	// Checked last, when the later replies have long gone out: the calls caused no
	// request, neither a reply nor a read receipt.
	if s := e.graph.Sent(func(s sent) bool {
		id, _ := s.Body["message_id"].(string)
		return replies(sheena)(s) || replies(ahmad)(s) || strings.HasPrefix(id, "call:")
	}); len(s) != 0 {
		t.Errorf("calls made Graph API requests: %+v", s)
	}
}
