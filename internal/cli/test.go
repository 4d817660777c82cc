package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wasla/wasla/channels/terminal"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
	"github.com/wasla/wasla/store"
)

const testAbout = `
Runs the conversation tests (*.test.yaml) under each PATH: a test file, or a folder searched
recursively (examples/... means the same as examples). The tests of a file run against the
flows of the file's folder, each on a fresh embedded store with its own clock; http steps are
answered from the test's mocks and never reach the network. A failing test is reported with
file:line and the expected message beside the one the bot sent. The run ends with the
coverage of every flow: the steps reached and those no test reached. Exits 1 when a test
fails.`

func runTest(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("test", "[-run REGEXP] [-v] [--config FILE] PATH...", testAbout, s)
	runExpr := fs.String("run", "", "run only the tests whose name matches this `regexp`")
	verbose := fs.Bool("v", false, "print every test and its conversation, not only failures")
	cfgPath := fs.String("config", "", "route replies by the numbers and routing of this serve config `file`, as serve does")
	paths, code, ok := parsePaths(fs, args)
	if !ok {
		return code
	}
	var filter *regexp.Regexp
	if *runExpr != "" {
		re, err := regexp.Compile(*runExpr)
		if err != nil {
			fmt.Fprintf(s.Err, "wasla test: -run %q: %v\n", *runExpr, err)
			return exitUsage
		}
		filter = re
	}
	files, err := findTestFiles(paths)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla test: %v\n", err)
		return exitFail
	}
	if len(files) == 0 {
		fmt.Fprintf(s.Err, "wasla test: no conversation tests (*.test.yaml) under %s\n", strings.Join(paths, " "))
		return exitFail
	}

	var cfg *config.Config
	if *cfgPath != "" {
		if cfg, ok = loadConfig("test", *cfgPath, s.Err); !ok {
			return exitFail
		}
	}

	client, stop, err := store.Embedded(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla test: %v\n", err)
		return exitFail
	}
	defer stop()
	n := 0
	tr := &testRun{
		s:       s,
		verbose: *verbose,
		config:  cfg,
		cov:     &flowtest.Coverage{},
		// One embedded Redis serves the whole run; a key prefix of its own gives each
		// test a store that nothing else has touched.
		newStore: func(clk clock.Clock) (engine.Store, error) {
			n++
			return store.New(client, store.Options{Prefix: fmt.Sprintf("test%d", n), Clock: clk})
		},
	}

	for _, group := range groupByFolder(files) {
		if ctx.Err() != nil {
			break
		}
		tr.runFolder(ctx, group.folder, group.files, filter)
	}

	if tr.passed+tr.failed == 0 {
		if filter != nil {
			fmt.Fprintf(s.Out, "no test matches -run %q\n", *runExpr)
		}
		fmt.Fprintln(s.Out, "FAIL: 0 passed, 0 failed")
		return exitFail
	}
	tr.cov.Write(s.Out)
	if tr.failed > 0 {
		fmt.Fprintf(s.Out, "FAIL: %d passed, %d failed\n", tr.passed, tr.failed)
		return exitFail
	}
	fmt.Fprintf(s.Out, "ok: %d passed, %d failed\n", tr.passed, tr.failed)
	return exitOK
}

type folderFiles struct {
	folder string
	files  []string
}

// groupByFolder groups test files by their folder, keeping the sorted order.
func groupByFolder(files []string) []folderFiles {
	var out []folderFiles
	for _, f := range files {
		dir := filepath.Dir(f)
		if len(out) == 0 || out[len(out)-1].folder != dir {
			out = append(out, folderFiles{folder: dir})
		}
		out[len(out)-1].files = append(out[len(out)-1].files, f)
	}
	return out
}

type testRun struct {
	s              Streams
	verbose        bool
	config         *config.Config // nil: no routing
	cov            *flowtest.Coverage
	newStore       func(clock.Clock) (engine.Store, error)
	passed, failed int
}

// runFolder loads the flows of folder once and runs the tests of its files. A broken test
// file fails as a whole; flows that do not load fail every test file of the folder.
func (tr *testRun) runFolder(ctx context.Context, folder string, files []string, filter *regexp.Regexp) {
	type parsed struct {
		file  string
		tests []*flowtest.Test
	}
	var good []parsed
	for _, f := range files {
		tests, diags := flowtest.ReadFile(f)
		if len(diags) > 0 {
			_ = diags.Print(tr.s.Out)
			fmt.Fprintf(tr.s.Out, "--- FAIL: %s: the test file has errors (see above)\n", f)
			tr.failed++
			continue
		}
		good = append(good, parsed{f, tests})
	}
	if len(good) == 0 {
		return
	}
	set, diags := flows.Load(folder)
	if diags.HasErrors() || set == nil {
		var errs flows.Diagnostics
		for _, d := range diags {
			if d.Level == flows.LevelError {
				errs = append(errs, d)
			}
		}
		_ = errs.Print(tr.s.Out)
		for _, p := range good {
			fmt.Fprintf(tr.s.Out, "--- FAIL: %s: the flows in %s do not load (see above)\n", p.file, folder)
			tr.failed++
		}
		return
	}
	onStep := tr.cov.Track(folder, set)
	for _, p := range good {
		for _, t := range p.tests {
			if ctx.Err() != nil {
				return
			}
			if filter != nil && !filter.MatchString(t.Name) {
				continue
			}
			res := flowtest.Run(ctx, set, t, flowtest.RunOptions{NewStore: tr.newStore, OnStep: onStep, Config: tr.config})
			tr.report(res)
		}
	}
}

func (tr *testRun) report(res *flowtest.Result) {
	t := res.Test
	where := fmt.Sprintf("%s:%d", t.Pos.File, t.Pos.Line)
	out := tr.s.Out
	if res.Passed() {
		tr.passed++
		if tr.verbose {
			fmt.Fprintf(out, "--- PASS: %s (%s)\n", t.Name, where)
			writeTranscript(tr.s, res.Transcript)
		}
		return
	}
	tr.failed++
	fmt.Fprintf(out, "--- FAIL: %s (%s)\n", t.Name, where)
	fmt.Fprintln(out, terminal.Prefix("    ", res.Failure.String()))
	if len(res.Transcript) > 0 {
		fmt.Fprintln(out, "    conversation:")
		writeTranscript(tr.s, res.Transcript)
	}
}

func writeTranscript(s Streams, lines []string) {
	for _, l := range lines {
		fmt.Fprintln(s.Out, terminal.Prefix("        ", l))
	}
}
