package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/channels/terminal"
	"github.com/wasla/wasla/chat"
)

// writeFlows writes name → source files into a new folder and returns it.
func writeFlows(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSimulateBurstIsAnsweredOnce(t *testing.T) {
	dir := writeFlows(t, map[string]string{
		"settings.yaml": "settings:\n  burst_window: 2s\n",
		"echo.yaml":     "flow: echo\ntriggers: [{fallback: true}]\nsteps:\n  - say: \"got: {{ message.text }}\"\n",
	})
	var out, errOut strings.Builder
	script := "/burst\nhi\nI want\nto order\n\nalone\n"
	if code := Run(context.Background(), []string{"simulate", dir}, strings.NewReader(script), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	want := strings.Join([]string{
		"> /burst",
		"(burst: type the messages, then an empty line to send them)",
		"> hi", "> I want", "> to order", ">",
		"(sending 3 messages as one burst)",
		"bot: got: hi",
		"     I want",
		"     to order",
		"> alone",
		"bot: got: alone",
		"",
	}, "\n")
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestSimulateRTLMarks(t *testing.T) {
	dir := writeFlows(t, map[string]string{
		"hi.yaml": "flow: hi\ntriggers: [{fallback: true}]\nsteps:\n  - say: \"أهلًا بك\"\n  - say: \"Welcome\"\n",
	})
	for _, marks := range []bool{false, true} {
		args := []string{"simulate", dir}
		want := "> hi\nbot: أهلًا بك\nbot: Welcome\n"
		if marks {
			args = []string{"simulate", "--rtl-marks", dir}
			want = "> hi\n\u200fbot: أهلًا بك\nbot: Welcome\n"
		}
		var out, errOut strings.Builder
		if code := Run(context.Background(), args, strings.NewReader("hi\n"), &out, &errOut); code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
		}
		if out.String() != want {
			t.Errorf("--rtl-marks=%v output:\n%q\nwant:\n%q", marks, out.String(), want)
		}
	}
}

// TestSimulateBotLinesStartClean checks that, at a terminal, each bot message starts by
// erasing the line, so that text typed while the bot was busy does not run into it; a
// script's output stays plain.
func TestSimulateBotLinesStartClean(t *testing.T) {
	for _, script := range []bool{true, false} {
		var out strings.Builder
		sim := &simulator{out: &out, script: script, contact: "1", choices: map[chat.ContactID][]terminal.Choice{}}
		if err := sim.Send(context.Background(), chat.Outbound{To: "1", Kind: chat.KindText, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
		want := "bot: hello\n"
		if !script {
			want = clearLine + want
		}
		if out.String() != want {
			t.Errorf("script=%v: %q, want %q", script, out.String(), want)
		}
	}
}
