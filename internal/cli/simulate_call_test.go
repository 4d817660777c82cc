package cli

import (
	"context"
	"strings"
	"testing"
)

// /call lets a flow author try a call trigger: a missed call starts the flow that asks for
// it, an answered one does not.
func TestSimulateCall(t *testing.T) {
	dir := writeFlows(t, map[string]string{
		"missed.yaml": "flow: missed\ntriggers: [{call: missed}]\nsteps:\n  - say: \"عذرًا، فاتنا اتصالك\"\n",
	})
	var out, errOut strings.Builder
	script := "/call answered\n/call\n/call later\n"
	if code := Run(context.Background(), []string{"simulate", dir}, strings.NewReader(script), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	want := strings.Join([]string{
		"> /call answered",
		"> /call",
		"bot: عذرًا، فاتنا اتصالك",
		"> /call later",
		"(error: /call takes missed (the default) or answered)",
		"",
	}, "\n")
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
