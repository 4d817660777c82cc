package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/flows"
)

// Regression (issue 10): a flow edited while a customer answered it, then reloaded by the
// file watch, filed the answer under the step inserted above the question.
func TestFileWatchReloadKeepsWaitingCustomersOnTheirQuestion(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "signup.yaml")
	const flow = "flow: signup\ntriggers: [{keywords: [join]}]\nsteps:\n" +
		"  - ask: \"your name?\"\n    save: name\n" +
		"  - ask: \"your city?\"\n    save: city\n" +
		"  - say: 'thanks {{ vars.name }} from {{ vars.city }}, we will call {{ vars.phone ?? \"you\" }}'\n"
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(flow)
	set, diags := flows.Load(dir)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	rec := &enginetest.Recorder{}
	eng := engine.New(set, &enginetest.MemStore{}, rec, engine.Options{Clock: clock.NewManual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))})
	r := newRig(t, func(d *Deps) {
		d.Engine = eng
		d.FlowsPaths = []string{dir}
		d.LoadFlows = func() (*flows.Set, flows.Diagnostics) { return flows.Load(dir) }
	})
	ctx := context.Background()
	seq := 0
	say := func(text string) []string {
		t.Helper()
		seq++
		in := chat.Inbound{ID: fmt.Sprintf("wamid.%d", seq), Contact: "966500000001", Number: "inbox", Kind: chat.KindText, Text: text}
		if err := eng.Receive(ctx, nil, in); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range rec.Take() {
			out = append(out, m.Text)
		}
		return out
	}
	say("join")
	r.srv.CheckFlows() // remember the files as loaded
	write(strings.Replace(flow, "steps:\n", "steps:\n  - ask: \"your phone?\"\n    save: phone\n", 1))
	r.srv.CheckFlows()
	if got := say("Sara"); strings.Join(got, "|") != "your city?" {
		t.Errorf("after the file watch reload: %q, want the city question", got)
	}
	if got := say("Riyadh"); strings.Join(got, "|") != "thanks Sara from Riyadh, we will call you" {
		t.Errorf("end: %q", got)
	}

	say("join")
	write(strings.Replace(flow, "your name?", "your full name?", 1))
	if err := r.srv.Reload("SIGHUP"); err != nil {
		t.Fatal(err)
	}
	if got := say("Sara"); strings.Join(got, "|") != flows.DefaultQuestionChanged+"|your full name?" {
		t.Errorf("after a SIGHUP reload that reworded the question: %q", got)
	}
}
