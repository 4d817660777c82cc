package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editingReader feeds a script line by line and runs edit just before it hands out the
// line that starts with "/reload", as a person editing the flow file while the simulator
// waits would.
type editingReader struct {
	lines []string
	edit  func()
}

func (r *editingReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	line := r.lines[0]
	if strings.HasPrefix(line, "/reload") && r.edit != nil {
		r.edit()
		r.edit = nil
	}
	n := copy(p, line+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

// Regression (issue 10): after a step was inserted above the waiting question and the
// flows reloaded, the simulator filed the answer under the inserted step's variable.
func TestSimulateReloadKeepsTheWaitingQuestion(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "signup.yaml")
	const flow = "flow: signup\ntriggers: [{keywords: [join]}]\nsteps:\n" +
		"  - ask: \"your name?\"\n    save: name\n" +
		"  - ask: \"your city?\"\n    save: city\n" +
		"  - say: \"thanks {{ vars.name }} from {{ vars.city }}\"\n"
	write := func(src string) {
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(flow)
	tests := []struct {
		name   string
		edited string
		script []string
		want   []string
	}{
		{"inserted", strings.Replace(flow, "steps:\n", "steps:\n  - ask: \"your phone?\"\n    save: phone\n", 1),
			[]string{"join", "/reload", "Sara", "Riyadh"},
			[]string{"bot: your city?", "bot: thanks Sara from Riyadh"}},
		{"reworded", strings.Replace(flow, "your name?", "your full name?", 1),
			[]string{"join", "/reload", "Sara", "Sara", "Riyadh"},
			[]string{"bot: عذرًا، تغيّر هذا السؤال", "bot: your full name?", "bot: your city?", "bot: thanks Sara from Riyadh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(flow)
			in := &editingReader{lines: tt.script, edit: func() { write(tt.edited) }}
			var out, errOut strings.Builder
			code := Run(context.Background(), []string{"simulate", "--start", "2026-01-05T09:00:00+03:00", dir}, in, &out, &errOut)
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
			}
			got := out.String()
			at := 0
			for _, w := range tt.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("output lacks %q after offset %d:\n%s", w, at, got)
				}
				at += i + len(w)
			}
			if strings.Contains(got, "from Sara") || strings.Contains(got, "your phone?") {
				t.Errorf("the answer was filed under another question:\n%s", got)
			}
		})
	}
}

func TestSimulatePrintsRuntimeErrors(t *testing.T) {
	dir := t.TempDir()
	src := "flow: track\ntriggers: [{keywords: [track]}]\nsteps:\n  - say: \"before\"\n  - http: {get: \"https://carrier.example/track\"}\n    save: shipment\n  - say: \"{{ vars.shipment.status }}\"\n"
	if err := os.WriteFile(filepath.Join(dir, "track.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	mocks := "mocks:\n  \"GET https://carrier.example/track\": {$status: 503}\n"
	if err := os.WriteFile(filepath.Join(dir, "track.mocks.yaml"), []byte(mocks), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	code := Run(context.Background(), []string{"simulate", dir}, strings.NewReader("track\n"), &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	want := "> track\nbot: before\n(run-time error: " + filepath.Join(dir, "track.yaml") + ":5: flow \"track\", step \"http_shipment\": http step failed and has no on_error: GET https://carrier.example/track: status 503)\nbot: عذرًا، حدث خطأ من جهتنا. / Sorry, something went wrong on our side.\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
