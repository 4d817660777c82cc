package config

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestOutboxSection(t *testing.T) {
	for _, c := range []struct {
		name    string
		yaml    string
		want    Outbox
		wantErr string // a part of the diagnostics, with its position
	}{
		{name: "defaults", want: Outbox{RetryFirst: 2 * time.Second, RetryMax: 5 * time.Minute, GiveUpAfter: 24 * time.Hour, Lease: 5 * time.Second}},
		{name: "set", yaml: "outbox:\n  retry_first: 500ms\n  retry_max: 1m\n  give_up_after: 2d\n  lease: 10s\n",
			want: Outbox{RetryFirst: 500 * time.Millisecond, RetryMax: time.Minute, GiveUpAfter: 48 * time.Hour, Lease: 10 * time.Second}},
		{name: "max below first", yaml: "outbox:\n  retry_first: 10m\n  retry_max: 1m\n",
			wantErr: "c.yaml:" + line(minimal, 3) + ":14: outbox.retry_max (1m) is shorter than outbox.retry_first (10m)"},
		{name: "first above the default max", yaml: "outbox:\n  retry_first: 10m\n",
			wantErr: "outbox.retry_max (5m) is shorter than outbox.retry_first (10m)"},
		{name: "short lease", yaml: "outbox:\n  lease: 100ms\n",
			wantErr: "c.yaml:" + line(minimal, 2) + ":10: outbox.lease must be at least 1s, found 100ms"},
		{name: "zero give-up", yaml: "outbox:\n  give_up_after: 0\n", wantErr: "outbox.give_up_after"},
		{name: "typo", yaml: "outbox:\n  retry_frist: 1s\n", wantErr: "did you mean `retry_first`?"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(minimal+c.yaml), env(nil))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Outbox != c.want {
				t.Errorf("outbox = %+v, want %+v", cfg.Outbox, c.want)
			}
		})
	}
}

// line is the line number, as text, of the n-th line of a section appended to prefix.
func line(prefix string, n int) string {
	return strconv.Itoa(strings.Count(prefix, "\n") + n)
}
