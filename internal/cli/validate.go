package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
	"github.com/wasla/wasla/yamlfile"
)

const validateAbout = `
Loads the flow files under the PATHs (files, or folders searched recursively) as one flow
set, and parses the conversation tests (*.test.yaml) and the campaign files
(*.campaign.yaml) beside them; a campaign's replies.flow must be one of the flows, with
the campaign's campaign: trigger. A PATH ending in /... (examples/...) stands for every
flow set below it, each checked on its own. Every problem
is printed as file:line:col: message, followed by the line with a caret under the place.
With -json, each problem is instead one JSON object per line (file, line, col, level, code,
message; docs/diagnostics.md) and no summary is printed: for editors and CI, which filter
on the code. Exits 1 when there is an error; warnings alone (such as unreachable steps)
exit 0.`

func runValidate(_ context.Context, args []string, s Streams) int {
	fs := newFlagSet("validate", "PATH...", validateAbout, s)
	asJSON := fs.Bool("json", false, "print each problem as a JSON line with its code, and no summary")
	paths, code, ok := parsePaths(fs, args)
	if !ok {
		return code
	}
	// Plain paths make one flow set; a path ending in /... stands for every flow set below
	// it, each loaded on its own.
	var sets [][]string
	var plain, testPaths, campaignPaths []string
	for _, p := range paths {
		switch {
		case isTestFile(p):
			testPaths = append(testPaths, p)
		case campaignfile.IsCampaignFile(p):
			campaignPaths = append(campaignPaths, p)
		case isEllipsis(p):
			folders, err := flowFolders(trimEllipsis(p))
			if err != nil {
				fmt.Fprintf(s.Err, "wasla validate: %v\n", err)
				return exitFail
			}
			if len(folders) == 0 {
				fmt.Fprintf(s.Err, "wasla validate: no flow files under %s\n", p)
				return exitFail
			}
			for _, f := range folders {
				sets = append(sets, []string{f})
			}
			testPaths = append(testPaths, trimEllipsis(p))
		default:
			plain = append(plain, p)
			// Folders also hold the conversation tests; a missing path is reported by Load.
			if info, err := os.Stat(p); err == nil && info.IsDir() {
				testPaths = append(testPaths, p)
			}
		}
	}
	if len(plain) > 0 {
		sets = append([][]string{plain}, sets...)
	}
	var diags flows.Diagnostics
	var loaded []*flows.Set
	for _, paths := range sets {
		set, d := flows.Load(paths...)
		diags = append(diags, d...)
		if set != nil {
			loaded = append(loaded, set)
		}
	}
	testFiles, err := findTestFiles(testPaths)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla validate: %v\n", err)
		return exitFail
	}
	for _, f := range testFiles {
		_, tdiags := flowtest.ReadFile(f)
		diags = append(diags, tdiags...)
	}
	// Campaign files sit beside the flows or in a folder of their own.
	for _, p := range testPaths {
		if !isTestFile(p) {
			campaignPaths = append(campaignPaths, p)
		}
	}
	campaignFiles, err := findFiles(campaignPaths, campaignfile.IsCampaignFile, "campaign file (*.campaign.yaml)", "finding campaigns")
	if err != nil {
		fmt.Fprintf(s.Err, "wasla validate: %v\n", err)
		return exitFail
	}
	for _, f := range campaignFiles {
		camp, cdiags := campaignfile.Load(f)
		diags = append(diags, cdiags...)
		if camp != nil && len(loaded) > 0 {
			diags = append(diags, replyFlowDiags(camp, loaded)...)
		}
	}
	print := diags.Print
	if *asJSON {
		print = diags.WriteJSON
	}
	if err := print(s.Out); err != nil {
		fmt.Fprintf(s.Err, "wasla validate: %v\n", err)
		return exitFail
	}
	if !*asJSON {
		fmt.Fprintln(s.Out, validateSummary(loaded, len(testFiles), len(campaignFiles), diags))
	}
	if diags.HasErrors() {
		return exitFail
	}
	return exitOK
}

// validateSummary is the closing line: "ok: 4 flows, 31 steps", with the warnings when
// there are some, or "2 errors, 1 warning in 3 files".
func validateSummary(sets []*flows.Set, tests, campaigns int, diags flows.Diagnostics) string {
	errs, warns := diags.Count()
	files := map[string]bool{}
	for _, d := range diags {
		files[d.Pos.File] = true
	}
	var counts []string
	if errs > 0 {
		counts = append(counts, plural(errs, "error"))
	}
	if warns > 0 {
		counts = append(counts, plural(warns, "warning"))
	}
	problems := strings.Join(counts, ", ") + " in " + plural(len(files), "file")
	if errs > 0 {
		return problems
	}
	var parts []string
	if len(sets) > 0 {
		nflows, nsteps := 0, 0
		for _, set := range sets {
			nflows += len(set.Flows)
			for _, f := range set.Flows {
				nsteps += len(f.Steps)
			}
		}
		parts = append(parts, plural(nflows, "flow"), plural(nsteps, "step"))
	}
	if tests > 0 {
		parts = append(parts, plural(tests, "test file"))
	}
	if campaigns > 0 {
		parts = append(parts, plural(campaigns, "campaign file"))
	}
	ok := "ok: " + strings.Join(parts, ", ")
	if warns > 0 {
		ok += "; " + problems
	}
	return ok
}

// replyFlowDiags checks a campaign's replies.flow against the flows validated with it.
// Replies reach a flow through its `campaign:` trigger, so replies.flow names the flow
// that should carry it: a name that is no flow is an error, a flow without the trigger a
// warning (the campaign's replies would fall to the other triggers).
func replyFlowDiags(camp *campaignfile.Campaign, sets []*flows.Set) flows.Diagnostics {
	if camp.Flow == "" {
		return nil
	}
	var names []string
	for _, set := range sets {
		if _, ok := set.Flows[camp.Flow]; !ok {
			for name := range set.Flows {
				names = append(names, name)
			}
			continue
		}
		for _, t := range set.Triggers {
			if t.Flow == camp.Flow && t.Kind == flows.TriggerCampaign && t.Campaign == camp.Name {
				return nil
			}
		}
		return flows.Diagnostics{{Pos: camp.FlowPos, Level: yamlfile.LevelWarning, Code: yamlfile.CodeUndefinedTarget,
			Message: fmt.Sprintf("flow `%s` has no `campaign: %s` trigger, so replies to this campaign never reach it", camp.Flow, camp.Name)}}
	}
	slices.Sort(names)
	msg := fmt.Sprintf("the reply flow `%s` is not among the flows", camp.Flow)
	if guess := yamlfile.Suggest(camp.Flow, names); guess != "" {
		msg += "; did you mean `" + guess + "`?"
	}
	return flows.Diagnostics{{Pos: camp.FlowPos, Level: yamlfile.LevelError, Code: yamlfile.CodeUndefinedTarget, Message: msg}}
}
