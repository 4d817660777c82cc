package cli

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/golden")

// TestCommands runs the wasla command line in-process and compares the exit code, the
// standard output and the standard error with golden transcripts.
func TestCommands(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string // a file under testdata fed to standard input
		exit  int
	}{
		{name: "usage", args: nil, exit: exitUsage},
		{name: "unknown_command", args: []string{"serve-me"}, exit: exitUsage},
		{name: "validate_ok", args: []string{"validate", "testdata/shop"}, exit: exitOK},
		{name: "validate_broken", args: []string{"validate", "testdata/broken"}, exit: exitFail},
		{name: "validate_broken_json", args: []string{"validate", "-json", "testdata/broken"}, exit: exitFail},
		{name: "validate_missing", args: []string{"validate", "testdata/nowhere"}, exit: exitFail},
		{name: "validate_each_set", args: []string{"validate", "testdata/..."}, exit: exitFail},
		{name: "validate_no_path", args: []string{"validate"}, exit: exitUsage},
		{name: "test_pass", args: []string{"test", "testdata/shop"}, exit: exitOK},
		{name: "test_verbose_run", args: []string{"test", "-v", "-run", "^order found$", "testdata/shop"}, exit: exitOK},
		{name: "test_ellipsis", args: []string{"test", "testdata/shop/..."}, exit: exitOK},
		{name: "test_one_file", args: []string{"test", "testdata/shop/order.test.yaml"}, exit: exitOK},
		{name: "test_fail", args: []string{"test", "testdata/failing"}, exit: exitFail},
		{name: "test_run_matches_nothing", args: []string{"test", "-run", "no such test", "testdata/shop"}, exit: exitFail},
		{name: "test_broken", args: []string{"test", "testdata/broken"}, exit: exitFail},
		{name: "test_no_tests", args: []string{"test", "testdata/golden"}, exit: exitFail},
		{name: "test_bad_regexp", args: []string{"test", "-run", "(", "testdata/shop"}, exit: exitUsage},
		{name: "simulate_script", args: []string{"simulate", "testdata/shop", "--name", "سارة", "--start", "2026-01-05T09:00:00+03:00"}, stdin: "shop.script", exit: exitOK},
		{name: "simulate_handoff", args: []string{"simulate", "--start", "2026-01-09T08:00:00+03:00", "../../examples/shop"}, stdin: "handoff.script", exit: exitOK},
		{name: "simulate_out_of_hours", args: []string{"simulate", "--start", "2026-01-05T09:00:00Z", "testdata/ooh"}, stdin: "ooh.script", exit: exitOK},
		{name: "simulate_broken", args: []string{"simulate", "testdata/broken"}, exit: exitFail},
		{name: "simulate_mocks", args: []string{"simulate", "--mocks", "testdata/mocks/order.mocks.yaml", "--start", "2026-01-05T09:00:00+03:00", "testdata/shop"}, stdin: "order.script", exit: exitOK},
		{name: "simulate_bad_mocks", args: []string{"simulate", "--mocks", "testdata/mocks/bad.mocks.yaml", "testdata/shop"}, exit: exitFail},
		{name: "simulate_bad_start", args: []string{"simulate", "--start", "tomorrow", "testdata/shop"}, exit: exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := strings.NewReader("")
			if tt.stdin != "" {
				data, err := os.ReadFile(filepath.Join("testdata", tt.stdin))
				if err != nil {
					t.Fatal(err)
				}
				in = strings.NewReader(string(data))
			}
			var out, errOut strings.Builder
			code := Run(context.Background(), tt.args, in, &out, &errOut)
			if code != tt.exit {
				t.Errorf("exit code %d, want %d", code, tt.exit)
			}
			got := "$ wasla " + strings.Join(tt.args, " ") + "\n" +
				"-- stdout --\n" + out.String() +
				"-- stderr --\n" + errOut.String()
			golden(t, filepath.Join("testdata", "golden", tt.name+".txt"), got)
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name string
		in   any
		want bool
	}{
		{"a character device reads as typed input", devNull, true},
		{"a pipe is a script", r, false},
		{"a reader that is no file is a script", strings.NewReader("hi"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, _ := tt.in.(interface{ Read([]byte) (int, error) })
			if got := isTerminal(rd); got != tt.want {
				t.Errorf("isTerminal() = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestParseArgsTakesFlagsAnywhere(t *testing.T) {
	var errOut strings.Builder
	fs := newFlagSet("x", "", "", Streams{Err: &errOut})
	contact := fs.String("contact", "", "")
	v := fs.Bool("v", false, "")
	rest, _, ok := parseArgs(fs, []string{"a", "--contact", "123", "b", "-v"})
	if !ok || *contact != "123" || !*v || strings.Join(rest, ",") != "a,b" {
		t.Errorf("got rest %q contact %q v %t ok %t", rest, *contact, *v, ok)
	}
}
