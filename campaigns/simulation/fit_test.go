package simulation

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/campaigns/health"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestFitHistoryGolden fits the model to a crafted history and compares the printout.
func TestFitHistoryGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base := DefaultModel()
	m, fit, err := FitHistory("history.jsonl", f, base, health.NewPhrases(health.DefaultPhrases()))
	if err != nil {
		t.Fatal(err)
	}
	got := FormatFit(fit, base, m)
	path := filepath.Join("testdata", "fit.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("fit differs from %s (go test -update rewrites it):\n%s", path, got)
	}
	// The history: 400 sends, 8 × 131026, 5 × 131049, 48 replies in the window (6
	// negative), a late "spam" two days on (not counted), 4 opt-outs.
	if fit.Sends != 400 || fit.Delivered != 387 || fit.Undeliverable != 8 || fit.Fatigued != 5 || fit.Replied != 48 || fit.Negative != 6 || fit.OptOuts != 4 {
		t.Errorf("fit %+v", fit)
	}
	if m.Read != base.Read || m.Block != base.Block || m.Report != base.Report {
		t.Error("a probability the history cannot show was changed")
	}
}

func TestFitHistoryErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"{\"kind\":\"outbound\",\"contact\":\"1\"}\nnot json\n", "h.jsonl:2: not a history event"},
		{"{\"kind\":\"outbound\"}\n", "h.jsonl:1: a history event needs a kind and a contact"},
		{"{\"kind\":\"outbound\",\"contact\":\"1\",\"at\":\"2026-03-01T00:00:00Z\",\"outbound\":{\"to\":\"1\",\"kind\":\"template\"}}\n", "1 template sends in the history; fitting needs at least 100"},
	}
	for _, tt := range tests {
		_, _, err := FitHistory("h.jsonl", strings.NewReader(tt.in), DefaultModel(), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzFitHistory(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "history.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data[:2000])
	f.Add([]byte("{\"kind\":\"inbound\",\"contact\":\"9\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, fit, err := FitHistory("fuzz.jsonl", strings.NewReader(string(data)), DefaultModel(), health.NewPhrases([]string{"spam"}))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.jsonl") {
				t.Errorf("the error does not name the file: %v", err)
			}
			return
		}
		for _, p := range []float64{m.Undeliverable, m.Fatigued, m.Reply, m.OptOut, m.Negative} {
			if p < 0 || p > 1 {
				t.Errorf("a fitted probability %v is out of [0, 1]: %+v", p, fit)
			}
		}
		_ = fmt.Sprint(fit)
	})
}
