package examples

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
	"github.com/wasla/wasla/store"
)

// sets are the example folders; each is one flow set with its conversation tests.
var sets = []string{"shop", "clinic", "tour", "campaign"}

// TestExamples loads every example set, runs its conversation tests and requires them to
// reach every step: an example that a test does not exercise is an example nobody knows
// to work.
func TestExamples(t *testing.T) {
	ctx := context.Background()
	client, stop, err := store.Embedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	n := 0
	newStore := func(clk clock.Clock) (engine.Store, error) {
		n++
		return store.New(client, store.Options{Prefix: fmt.Sprintf("examples%d", n), Clock: clk})
	}

	for _, dir := range sets {
		t.Run(dir, func(t *testing.T) {
			// Warnings count too: an example must be clean (TestFolder refuses any).
			cov := flowtest.TestFolder(t, dir, flowtest.RunOptions{NewStore: newStore})
			for _, fc := range cov.Flows() {
				for _, st := range fc.Unreached {
					t.Errorf("%s:%d: step %q of flow %q is reached by no conversation test", st.Pos.File, st.Pos.Line, st.ID, fc.Flow)
				}
			}
		})
	}
}

// quoted finds the example files that docs/flows.md quotes: a line naming the file as a
// link, then a YAML block.
var quoted = regexp.MustCompile("(?s)\\[`examples/((?:tour|shop|clinic)/[a-z_]+\\.yaml)`\\]\\([^)]*\\)[^\\n]*\\n\\n```yaml\\n(.*?)```")

// TestDocsQuoteTour checks that the flow language reference shows every tour file, and
// every example file it quotes, exactly as it is, so the documented examples are the
// tested ones.
func TestDocsQuoteTour(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "flows.md"))
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	for _, m := range quoted.FindAllStringSubmatch(string(doc), -1) {
		name, block := m[1], m[2]
		shown[name] = true
		file, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil {
			t.Errorf("docs/flows.md quotes examples/%s, which cannot be read: %v", name, err)
			continue
		}
		if block != string(file) {
			t.Errorf("docs/flows.md quotes examples/%s differently from the file; paste the file's content into the doc", name)
		}
	}
	files, err := filepath.Glob(filepath.Join("tour", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, f := range files {
		name := filepath.ToSlash(f)
		if flows.IsFlowFile(name) && !shown[name] {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("docs/flows.md quotes no block of these tour files: %s", strings.Join(missing, ", "))
	}
}
