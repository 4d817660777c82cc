package clock

import (
	"context"
	"time"
)

// Sleep waits d of real time, or less when ctx is done first, and then returns ctx's error.
// It is the wait of retries and rate limits, whose callers take it as a function so that
// tests replace it and never wait.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
