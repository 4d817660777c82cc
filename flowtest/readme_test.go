package flowtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/flows"
)

// TestReadmeFlow runs the flow the README shows, as written there: it must load, and save
// the order number it asks for normalised, whatever digits and marks the customer types.
func TestReadmeFlow(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "\n```yaml\n")
	if !ok {
		t.Fatal("README.md has no yaml block")
	}
	block, _, _ = strings.Cut(block, "\n```")
	set, diags := flows.Parse("README.md", []byte(block))
	if diags.HasErrors() {
		t.Fatalf("the README's flow does not load:\n%v", diags)
	}
	tests, tdiags := ParseFile("readme.test.yaml", []byte(`test: the README's order number is saved as digits
steps:
  - user: طلبي
  - bot: contains "رقم طلبك"
  - user: "12"
  - bot: contains "6 أرقام"
  - user: "#١٢٣ ٤٥٦"
  - bot: "طلبك 123456 قيد التجهيز"
  - vars: { order_no: "123456" }
`))
	if len(tdiags) > 0 {
		t.Fatalf("test does not parse:\n%v", tdiags)
	}
	res := Run(context.Background(), set, tests[0], RunOptions{NewStore: newMemStore})
	if !res.Passed() {
		t.Errorf("%s\nconversation:\n%s", res.Failure, strings.Join(res.Transcript, "\n"))
	}
}
