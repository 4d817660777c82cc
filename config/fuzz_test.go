package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds the config parser arbitrary bytes: it must never panic, must position
// every problem on a line, and must never put a secret it was given into an error.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../wasla.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	f.Add([]byte(minimal))
	f.Add([]byte("listen: [\nnumbers: 3\n"))
	lookup := env(map[string]string{"WASLA_APP_SECRET": "fz-SECRET-91", "WASLA_VERIFY_TOKEN": "v",
		"WASLA_INBOX_TOKEN": "fz-TOKEN-17", "WASLA_CAMPAIGN_TOKEN": "fz-TOKEN-18"})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, lookup)
		if err == nil {
			if cfg == nil {
				t.Fatal("no error and no config")
			}
			return
		}
		var diags Diagnostics
		if errors.As(err, &diags) {
			for _, d := range diags {
				if d.Line < 1 {
					t.Errorf("diagnostic without a line: %v", d)
				}
			}
		}
		for _, secret := range []string{"fz-SECRET-91", "fz-TOKEN-17", "fz-TOKEN-18"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks %q: %v", secret, err)
			}
		}
	})
}
