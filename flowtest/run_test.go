package flowtest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/engine/enginetest"
	"github.com/wasla/wasla/flows"
)

// newMemStore gives each test its own in-memory store, as RunOptions.NewStore must.
func newMemStore(clock.Clock) (engine.Store, error) { return &enginetest.MemStore{}, nil }

func loadRunFlows(t *testing.T) *flows.Set {
	t.Helper()
	set, diags := flows.Load(filepath.Join("testdata", "run", "flows"))
	if diags.HasErrors() {
		t.Fatalf("fixture flows do not load:\n%v", diags)
	}
	return set
}

func readTests(t *testing.T, name string) []*Test {
	t.Helper()
	tests, diags := ReadFile(filepath.Join("testdata", "run", name))
	if len(diags) > 0 {
		t.Fatalf("fixture tests do not parse:\n%v", diags)
	}
	return tests
}

// TestRunPasses plays conversations that exercise every kind of test step against the
// real engine; each must pass.
func TestRunPasses(t *testing.T) {
	set := loadRunFlows(t)
	for _, tt := range readTests(t, "pass.test.yaml") {
		t.Run(tt.Name, func(t *testing.T) {
			res := Run(context.Background(), set, tt, RunOptions{NewStore: newMemStore})
			if !res.Passed() {
				t.Errorf("%s\nconversation:\n%s", res.Failure, strings.Join(res.Transcript, "\n"))
			}
		})
	}
}

// TestRunFailures checks, word for word, how each kind of failing expectation is
// reported (testdata/run/fail.golden).
func TestRunFailures(t *testing.T) {
	set := loadRunFlows(t)
	var b strings.Builder
	for _, tt := range readTests(t, "fail.test.yaml") {
		res := Run(context.Background(), set, tt, RunOptions{NewStore: newMemStore})
		if res.Passed() {
			t.Errorf("%s: passed, want a failure", tt.Name)
			continue
		}
		fmt.Fprintf(&b, "== %s\n%s\n", tt.Name, res.Failure)
	}
	golden(t, filepath.Join("testdata", "run", "fail.golden"), b.String())
}

func TestRunTranscript(t *testing.T) {
	set := loadRunFlows(t)
	tests := readTests(t, "pass.test.yaml")
	res := Run(context.Background(), set, tests[0], RunOptions{NewStore: newMemStore})
	want := strings.Join([]string{
		"> hi",
		"bot: Hello Sara!\n     [1] Days\n     [2] Order\n     [3] Agent",
		"> [Days]",
		"bot: Pick a day\n     (Days)\n     [1] Sunday\n     [2] Monday — busy",
		"> [Monday]",
		"bot: Monday it is",
	}, "\n")
	if got := strings.Join(res.Transcript, "\n"); got != want {
		t.Errorf("transcript\n%s\nwant\n%s", got, want)
	}
}

func TestRunSeparatesTests(t *testing.T) {
	set := loadRunFlows(t)
	tests := readTests(t, "pass.test.yaml")
	// The same store for two runs would carry the first test's tag into the second; each
	// run asks for its own store.
	stores := 0
	newStore := func(c clock.Clock) (engine.Store, error) {
		stores++
		return newMemStore(c)
	}
	for _, tt := range tests[:2] {
		if res := Run(context.Background(), set, tt, RunOptions{NewStore: newStore}); !res.Passed() {
			t.Fatalf("%s: %s", tt.Name, res.Failure)
		}
	}
	if stores != 2 {
		t.Errorf("%d stores for 2 tests, want one each", stores)
	}
}

func TestCoverage(t *testing.T) {
	set := loadRunFlows(t)
	cov := &Coverage{}
	onStep := cov.Track("run", set)
	tests := readTests(t, "pass.test.yaml")
	for _, tt := range tests[:1] { // buttons, list and tags
		if res := Run(context.Background(), set, tt, RunOptions{NewStore: newMemStore, OnStep: onStep}); !res.Passed() {
			t.Fatalf("%s: %s", tt.Name, res.Failure)
		}
	}
	got := map[string]string{}
	for _, fc := range cov.Flows() {
		var unreached []string
		for _, st := range fc.Unreached {
			unreached = append(unreached, st.ID)
		}
		got[fc.Flow] = fmt.Sprintf("%d/%d %s", fc.Reached, fc.Total, strings.Join(unreached, ","))
	}
	want := map[string]string{
		"menu":         "5/7 sunday,agent",
		"order_status": "0/6 ask_number,lookup,found,failed,too_slow,done",
		"media":        "0/3 thanks,later,reminder",
	}
	for flow, w := range want {
		if got[flow] != w {
			t.Errorf("coverage of %s = %q, want %q", flow, got[flow], w)
		}
	}
	var b strings.Builder
	cov.Write(&b)
	golden(t, filepath.Join("testdata", "run", "coverage.golden"), b.String())
}
