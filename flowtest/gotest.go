package flowtest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/flows"
)

// TestFolder runs the conversation tests of one flow folder as Go subtests, so a Go
// package can keep flows and their tests under `go test`: the flows must load without a
// single diagnostic (warnings included), each test becomes the subtest file/name, and a
// failure prints the conversation. It returns the coverage of the folder, for callers that
// require every step to be reached. opts.OnStep is set by TestFolder.
func TestFolder(t *testing.T, dir string, opts RunOptions) *Coverage {
	t.Helper()
	cov := &Coverage{}
	set, diags := flows.Load(dir)
	if len(diags) > 0 {
		t.Fatalf("loading %s:\n%s", dir, diags.Error())
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.test.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conversation tests in %s (%v)", dir, err)
	}
	opts.OnStep = cov.Track(dir, set)
	for _, file := range files {
		tests, diags := ReadFile(file)
		if len(diags) > 0 {
			t.Errorf("reading %s:\n%s", file, diags.Error())
			continue
		}
		for _, tc := range tests {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".test.yaml")+"/"+tc.Name, func(t *testing.T) {
				res := Run(context.Background(), set, tc, opts)
				if !res.Passed() {
					t.Errorf("%s\nconversation:\n  %s", res.Failure, strings.Join(res.Transcript, "\n  "))
				}
			})
		}
	}
	return cov
}
