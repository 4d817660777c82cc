package cli

import (
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

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
