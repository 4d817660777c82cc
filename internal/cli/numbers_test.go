package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

// TestNumbersListsADeployment seeds a deployment's Redis as wasla serve leaves it (health
// buckets, standings, Meta's last word, warm-up steps) and lists it as a table and as JSON.
func TestNumbersListsADeployment(t *testing.T) {
	t.Setenv("WASLA_REDIS", "")
	t.Setenv("WASLA_REDIS_URL", "")
	rs := redistest.Start(t)
	if rs == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	client := rs.Client(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "wasla.yaml")
	cfgSrc := `flows: flows
redis: ` + rs.URL() + `
whatsapp: {app_secret: a, verify_token: b}
numbers:
  - {id: "1001", display: "+966 50 000 0001", role: inbox, waba: "10", token: t1}
  - {id: "1002", display: "+966 50 000 0002", role: campaign, waba: "20", token: t2, portfolio: p1}
  - {id: "1003", display: "+966 50 000 0003", role: campaign, waba: "20", token: t3, portfolio: p1}
`
	if err := os.WriteFile(cfgPath, []byte(cfgSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	hs := health.NewRedisStore(client, store.DefaultPrefix)
	today := time.Now().UTC().Format(time.DateOnly)
	for sig, n := range map[health.Signal]int{health.Sent: 800, health.Delivered: 780, health.Read: 500, health.Replied: 40, health.OptOut: 6, health.SpamLimit: 4} {
		if err := hs.Add(ctx, "1002", today, sig, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := hs.SetStanding(ctx, "1002", health.Standing{State: health.Slowed, Allowance: 0.6, Reason: "score 64 is under 80: 60% of the allowance"}); err != nil {
		t.Fatal(err)
	}
	if err := hs.SetMeta(ctx, "1003", health.MetaStatus{Rating: health.Red, Limit: "TIER_10K", Throughput: "STANDARD", Checked: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := hs.SetStanding(ctx, "1003", health.Standing{State: health.Stopped, Reason: "Meta rates the number RED or flagged it"}); err != nil {
		t.Fatal(err)
	}
	if err := pacing.NewRedisState(client, store.DefaultPrefix).Save(ctx, "1002", pacing.Warmup{Step: 2, Day: today}); err != nil {
		t.Fatal(err)
	}

	var out, errOut strings.Builder
	if code := Run(ctx, []string{"numbers", "--config", cfgPath}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	golden(t, filepath.Join("testdata", "golden", "numbers.txt"), out.String())

	// The operator brings number 1003 back.
	out.Reset()
	if code := Run(ctx, []string{"numbers", "--config", cfgPath, "reset", "1003"}, nil, &out, &errOut); code != exitOK ||
		!strings.Contains(out.String(), "number 1003: health standing cleared") {
		t.Fatalf("reset: exit %d: %s %s", code, out.String(), errOut.String())
	}
	if all, _ := hs.Standings(ctx); all["1003"].State != "" || all["1002"].State != health.Slowed {
		t.Errorf("standings after the reset %+v", all)
	}
	if code := Run(ctx, []string{"numbers", "--config", cfgPath, "reset", "9999"}, nil, &out, &errOut); code != exitFail ||
		!strings.Contains(errOut.String(), "number 9999 is not in") {
		t.Errorf("reset of an unknown number: exit %d: %s", code, errOut.String())
	}
	out.Reset()
	if code := Run(ctx, []string{"numbers", "--config", cfgPath, "--json"}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var got struct {
		Numbers []struct {
			ID, State, Quality string
			WarmupDay          int `json:"warmup_day"`
			Today              struct{ Sent int }
		}
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Numbers) != 3 || got.Numbers[1].State != "slowed" || got.Numbers[1].WarmupDay != 3 || got.Numbers[1].Today.Sent != 800 ||
		got.Numbers[2].Quality != "RED" || got.Numbers[2].State != "active" {
		t.Errorf("json %s", out.String())
	}
}

func TestNumbersNeedsARedis(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "wasla.yaml")
	src := "flows: flows\nwhatsapp: {app_secret: a, verify_token: b}\nnumbers:\n  - {id: \"1\", display: \"+966 50 000 0001\", role: inbox, waba: \"10\", token: t}\n"
	if err := os.WriteFile(cfgPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("WASLA_REDIS", "")
	t.Setenv("WASLA_REDIS_URL", "")
	var out, errOut strings.Builder
	if code := Run(context.Background(), []string{"numbers", "--config", cfgPath}, nil, &out, &errOut); code != exitUsage ||
		!strings.Contains(errOut.String(), "has no redis: and no --redis was given") {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}

func TestConfigSecretsHoldTheHealthWebhookSecret(t *testing.T) {
	src := "flows: flows\nwhatsapp: {app_secret: a, verify_token: b}\nnumbers:\n  - {id: \"1\", display: \"+966 50 000 0001\", role: inbox, waba: \"10\", token: t}\n" +
		"health:\n  webhook: {url: \"https://ops.example.com/h\", secret: hook-secret}\n"
	cfg, err := config.Parse("w.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(configSecrets(cfg), "hook-secret") {
		t.Error("the log's redaction does not know the health webhook's secret")
	}
}

// wasla numbers only reads Redis: the WhatsApp secrets, which only the servers hold, need
// not be set in the operator's shell.
func TestNumbersWithoutTheServersSecrets(t *testing.T) {
	url, _ := emptyHistory(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "wasla.yaml")
	src := "flows: flows\nwhatsapp: {app_secret: \"${T_NO_SUCH_SECRET}\", verify_token: \"${T_NO_SUCH_VERIFY}\"}\nnumbers:\n" +
		"  - {id: \"1\", display: \"+966 50 000 0001\", role: inbox, waba: \"10\", token: \"${T_NO_SUCH_TOKEN}\"}\n"
	if err := os.WriteFile(cfgPath, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	if code := Run(context.Background(), []string{"numbers", "--config", cfgPath, "--redis", url}, nil, &out, &errOut); code != exitOK ||
		!strings.Contains(out.String(), "+966 50 000 0001") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
	}
}
