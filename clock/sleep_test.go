package clock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasla/wasla/clock"
)

func TestSleep(t *testing.T) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		d    time.Duration
		want error
	}{
		{"no wait", context.Background(), 0, nil},
		// An hour would fail the test by its deadline if Sleep did not watch ctx.
		{"cancelled context ends the wait", done, time.Hour, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := clock.Sleep(tt.ctx, tt.d); !errors.Is(err, tt.want) {
				t.Fatalf("Sleep = %v, want %v", err, tt.want)
			}
		})
	}
}
