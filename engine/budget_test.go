package engine_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows/expr"
)

const greedyFlow = `flow: greedy
triggers: [{keywords: [grow]}]
steps:
  - say: "{{ reduce(1..40, #acc + #acc, message.text) }}"
`

const politeFlow = `flow: polite
triggers: [{keywords: [hi]}]
steps:
  - say: "hello {{ contact.name }}"
`

// TestExpressionOverBudgetFailsOneConversation: an expression that would build a
// gigabyte fails for the customer who triggered it, as a flow error with the step's
// file:line in the log, and the engine goes on answering.
func TestExpressionOverBudgetFailsOneConversation(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, map[string]string{"greedy.yaml": greedyFlow, "polite.yaml": politeFlow},
		engine.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), ExprBudget: &expr.Budget{MaxSize: 4096}})
	got := h.say("grow")
	if strings.Contains(strings.Join(got, ""), strings.Repeat("grow", 100)) {
		t.Fatalf("the reply was built over the budget (%d bytes)", len(strings.Join(got, "")))
	}
	if !strings.Contains(logs.String(), "over the expression budget") {
		t.Errorf("no budget error logged; log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "greedy.yaml:4:") {
		t.Errorf("the log does not name the step's file:line:\n%s", logs.String())
	}
	expect(t, "next conversation", h.say("hi"), "hello ")
}
