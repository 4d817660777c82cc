package engine_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/flowtest"
	"github.com/wasla/wasla/normalize"
)

// TestSemantics plays the conversation tests under testdata/semantics. Each folder there
// is a small flow set whose tests pin promises of docs/flows.md that the tour examples do
// not reach: trigger order, folding, the words that act before any flow, waiting steps,
// calls, waits, hand-offs and http steps. They run through flowtest, the code path of
// `wasla test`, on the engine's memory store.
func TestSemantics(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "semantics"))
	if err != nil {
		t.Fatal(err)
	}
	newStore := func(clock.Clock) (engine.Store, error) { return &enginetest.MemStore{}, nil }
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("testdata", "semantics", d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			flowtest.TestFolder(t, dir, flowtest.RunOptions{NewStore: newStore})
		})
	}
}

// TestDocsFoldingTable checks every row of the folding table in docs/flows.md ("the
// customer writes | folded") against the folding that keywords, restart, opt-out words and
// switch cases use.
func TestDocsFoldingTable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "flows.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "| the customer writes | folded |\n|---|---|\n")
	if !ok {
		t.Fatal("docs/flows.md has no folding table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := 0
	for line := range strings.SplitSeq(table, "\n") {
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 2 {
			t.Fatalf("folding table row %q has %d cells, want 2", line, len(cells))
		}
		in := strings.Trim(strings.TrimSpace(cells[0]), "`")
		want := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if got := normalize.Text(in); got != want {
			t.Errorf("normalize.Text(%q) = %q; docs/flows.md says %q", in, got, want)
		}
		rows++
	}
	if rows < 10 {
		t.Errorf("read %d rows of the folding table; the table's shape changed?", rows)
	}
}
