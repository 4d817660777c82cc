package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
)

// TestPrintReport shows everything a campaign's status holds: the state and why, the
// totals with replied and the cost in its currency, and per number its counters, cost and
// warm-up step.
func TestPrintReport(t *testing.T) {
	rep := runner.Report{
		Record:   runner.Record{Name: "ramadan_offer", State: runner.StatePaused, Reason: "Meta changed the category of template ramadan_offer to marketing", Currency: "USD"},
		Audience: 10, Queued: 4,
		Total: outcome.Counters{Sent: 6, Delivered: 5, Read: 2, Replied: 2, Cost: 228_000, Failed: map[int]int64{131049: 1}},
		Numbers: map[chat.NumberID]outcome.Counters{
			"1002": {Sent: 4, Delivered: 3, Replied: 2, Cost: 136_800},
			"1003": {Sent: 2, Delivered: 2, Cost: 91_200},
		},
		Cost:    "0.228",
		Warmups: map[chat.NumberID]pacing.Warmup{"1002": {Step: 2, Day: "2026-03-01"}, "1003": {}},
	}
	var out bytes.Buffer
	printReport(Streams{Out: &out}, rep, true)
	got := out.String()
	for _, want := range []string{
		"ramadan_offer: paused (Meta changed the category of template ramadan_offer to marketing)",
		"60%",
		"replied 2",
		"failed by code: 131049×1",
		"cost 0.228 USD",
		"number 1002: sent 4  delivered 3  read 0  replied 2  failed 0  cost 0.1368  warm-up step 3 (judged 2026-03-01)",
		"number 1003: sent 2  delivered 2  read 0  replied 0  failed 0  cost 0.0912  warm-up step 1\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("status lacks %q:\n%s", want, got)
		}
	}
}

// The commands that act on a deployment find its Redis in $WASLA_REDIS_URL, the variable
// wasla.example.yaml reads for wasla serve, so the same shell runs both.
func TestCampaignStatusReadsRedisFromTheServeVariable(t *testing.T) {
	m := miniredis.RunT(t)
	t.Setenv("WASLA_REDIS", "")
	t.Setenv("WASLA_REDIS_URL", "redis://"+m.Addr())
	code, out, errOut := runCLI("campaign", "status")
	if code != exitOK || strings.Contains(errOut, "--redis is required") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// With no campaign started, status says so instead of printing nothing.
func TestCampaignStatusWithoutCampaigns(t *testing.T) {
	m := miniredis.RunT(t)
	code, out, errOut := runCLI("campaign", "status", "--redis", "redis://"+m.Addr())
	if code != exitOK || !strings.Contains(errOut, "no campaigns") {
		t.Fatalf("exit %d\nstdout: %q\nstderr: %q; want \"no campaigns\"", code, out, errOut)
	}
	code, out, _ = runCLI("campaign", "status", "--json", "--redis", "redis://"+m.Addr())
	if code != exitOK || strings.TrimSpace(out) != "[]" {
		t.Fatalf("--json: exit %d, %q; want []", code, out)
	}
}

// start reports the rows it left out in sentences, one bad row a line, not as JSON.
func TestCampaignStartReportsLeftOutRows(t *testing.T) {
	m := miniredis.RunT(t)
	code, out, errOut := runCLI("campaign", "start", "../../examples/campaign/ramadan.campaign.yaml", "--redis", "redis://"+m.Addr())
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{
		"started: 976 contacts in the audience, 24 rows left out\n",
		"  left out: 11 invalid, 12 duplicates, 1 outside Meta's marketing countries (US +1), 0 opted out\n",
		"  line 15: not a usable phone number: it contains 'O', which is not a digit\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "{") {
		t.Errorf("the report is JSON:\n%s", out)
	}
}

// validate checks a campaign's replies.flow against the flows validated with it: a name
// that is not a flow is an error, and a flow without the campaign's trigger a warning,
// since replies reach a flow through its `campaign:` trigger.
func TestValidateChecksTheCampaignsReplyFlow(t *testing.T) {
	tests := []struct {
		name, from, to string
		exit           int
		want           []string
	}{
		{"ok", "", "", exitOK, []string{"ok: 1 flow, 5 steps, 1 test file, 1 campaign file\n"}},
		{"no such flow", "  flow: ramadan_reply", "  flow: ramadan_replies", exitFail, []string{
			"ramadan.campaign.yaml:29:9: the reply flow `ramadan_replies` is not among the flows; did you mean `ramadan_reply`?"}},
		{"no trigger", "  - campaign: ramadan_offer", "  - keywords: [ramadan]", exitOK, []string{
			"ramadan.campaign.yaml:29:9: warning: flow `ramadan_reply` has no `campaign: ramadan_offer` trigger, so replies to this campaign never reach it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{"ramadan.campaign.yaml", "ramadan_reply.yaml", "ramadan_reply.test.yaml", "settings.yaml", "audience.csv"} {
				data, err := os.ReadFile(filepath.Join("../../examples/campaign", f))
				if err != nil {
					t.Fatal(err)
				}
				if tt.from != "" && (f == "ramadan.campaign.yaml" || f == "ramadan_reply.yaml") {
					data = []byte(strings.Replace(string(data), tt.from+"\n", tt.to+"\n", 1))
				}
				if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, out, errOut := runCLI("validate", dir)
			if code != tt.exit {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.exit, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("want %q in\n%s", w, out)
				}
			}
		})
	}
}

// The status counts the attempts of unknown outcome even once they are all resolved:
// `unknown` is only those still waiting, so a finished campaign reads unknown 0.
func TestCampaignStatusShowsResolvedUnknownAttempts(t *testing.T) {
	var out strings.Builder
	rep := runner.Report{Record: runner.Record{Name: "kill", State: runner.StateDone}, Audience: 400}
	rep.Total.UnknownResolved, rep.Total.UnknownResent = 2, 1
	printReport(Streams{Out: &out}, rep, false)
	if !strings.Contains(out.String(), "unknown attempts 0 waiting (resolved by a status 2, sent again 1)") {
		t.Errorf("the status reads\n%s", out.String())
	}
}

// Every command that acts on a deployment reads $WASLA_REDIS_URL when --redis is not given.
func TestDeploymentCommandsReadTheServeVariable(t *testing.T) {
	url, _ := emptyHistory(t)
	t.Setenv("WASLA_REDIS", "")
	t.Setenv("WASLA_REDIS_URL", url)
	for _, args := range [][]string{{"outbox", "failed"}, {"intake", "dead"}, {"history", "export"}} {
		if code, out, errOut := runCLI(args...); code != exitOK {
			t.Errorf("wasla %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
}
