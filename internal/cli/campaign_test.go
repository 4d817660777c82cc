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
