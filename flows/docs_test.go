package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsQuoteTheDefaultTexts keeps the default texts that docs/flows.md quotes the ones
// the engine says.
func TestDocsQuoteTheDefaultTexts(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "flows.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"question_changed": DefaultQuestionChanged,
		"error_reply":      DefaultErrorReply,
		"opt_out_reply":    DefaultOptOutReply,
		"opt_in_reply":     DefaultOptInReply,
	} {
		if !strings.Contains(string(doc), "\n> "+text+"\n") {
			t.Errorf("docs/flows.md does not quote the default %s text %q", name, text)
		}
	}
}
