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
