package server

import (
	"strings"
	"testing"

	"github.com/wasla/wasla/internal/redistest"
)

func TestStreamNodeWarning(t *testing.T) {
	tests := []struct {
		name string
		args []string
		warn bool
	}{
		{"Redis's default of 4096 preallocates 4 KB per contact", nil, true},
		{"512 keeps an idle contact near 2 KB", []string{"--stream-node-max-bytes", "512"}, false},
		{"0 (no byte limit) preallocates 4 KB", []string{"--stream-node-max-bytes", "0"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t, redistest.Args(tt.args...))
			got := streamNodeWarning(t.Context(), srv.Client(t))
			if (got != "") != tt.warn || (tt.warn && !strings.Contains(got, "stream-node-max-bytes")) {
				t.Errorf("warning %q, want one: %v", got, tt.warn)
			}
		})
	}
}
