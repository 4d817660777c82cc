package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseHealth(t *testing.T) {
	cfg, err := Parse("w.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Health.Interval != DefaultHealthInterval || cfg.Health.SlowBelow != 80 || cfg.Health.StopBelow != 40 || cfg.Health.NegativePhrases != nil {
		t.Errorf("defaults %+v", cfg.Health)
	}
	src := minimal + `health:
  interval: 10m
  zone: Asia/Riyadh
  slow_below: 70
  stop_below: 30
  min_allowance: 50
  resume_above: 65
  clean_days: 3
  negative_phrases: ["مزعج", "go away"]
  webhook:
    url: https://ops.example.com/wasla
    secret: ${HOOK_SECRET}
`
	cfg, err = Parse("w.yaml", []byte(src), env(map[string]string{"HOOK_SECRET": "hush-hush"}))
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Health
	if h.Interval != 10*time.Minute || h.Zone != "Asia/Riyadh" || h.SlowBelow != 70 || h.StopBelow != 30 || h.MinAllowance != 50 ||
		h.ResumeAbove != 65 || h.CleanDays != 3 || len(h.NegativePhrases) != 2 || h.WebhookURL == "" || h.WebhookSecret.Reveal() != "hush-hush" {
		t.Errorf("parsed %+v", h)
	}
	if strings.Contains(cfg.LogValue().String(), "hush-hush") {
		t.Error("the webhook secret reached a log value")
	}
}

func TestParseHealthErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"health:\n  stop_below: 90\n", "w.yaml:12:15: health.stop_below (90) must not be above health.slow_below (80)"},
		{"health:\n  slow_below: 120\n", "health.slow_below must be at most 100"},
		{"health:\n  zone: Mars/Olympus\n", "health.zone must be a time zone"},
		{"health:\n  webhook:\n    url: https://ops.example.com\n", "health.webhook needs a secret"},
		{"health:\n  webhook:\n    url: ftp://x\n    secret: s\n", "health.webhook.url"},
		{"health:\n  intervall: 5m\n", "did you mean"},
	}
	for _, tt := range tests {
		_, err := Parse("w.yaml", []byte(minimal+tt.src), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.src, err, tt.want)
		}
	}
}
