package pacing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasla/wasla/clock"
)

func TestMemoryThroughput(t *testing.T) {
	clk := clock.NewManual(t0)
	m := NewMemoryThroughput(clk)
	ctx := context.Background()
	var waits []time.Duration
	for range 3 {
		w, err := m.Reserve(ctx, "n1", 80, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	if waits[0] != 0 || waits[1] != 12500*time.Microsecond || waits[2] != 25*time.Millisecond {
		t.Fatalf("waits = %v; want 0, 12.5ms, 25ms", waits)
	}
	if w, err := m.Reserve(ctx, "n2", 80, time.Second); err != nil || w != 0 {
		t.Fatalf("another number waits %v, %v; want 0", w, err)
	}
	if _, err := m.Reserve(ctx, "n1", 1, 10*time.Millisecond); !errors.Is(err, ErrThrottled) {
		t.Fatalf("Reserve beyond maxWait = %v; want ErrThrottled", err)
	}
	clk.Advance(time.Second)
	if w, err := m.Reserve(ctx, "n1", 80, 0); err != nil || w != 0 {
		t.Fatalf("after a quiet second the wait is %v, %v; want 0", w, err)
	}
	if _, err := m.Reserve(ctx, "n1", 0, time.Second); err == nil {
		t.Fatal("rate 0 accepted")
	}
}

func TestPlannerThroughput(t *testing.T) {
	pl := pool("TIER_2K", "n1", "n2")
	pl[1].Throughput = 1000
	p, err := NewPlanner(Defaults(), pl)
	if err != nil {
		t.Fatal(err)
	}
	if p.Throughput("n1") != 80 || p.Throughput("n2") != 1000 || p.Throughput("other") != 80 {
		t.Fatalf("throughput n1 %d, n2 %d, other %d; want 80, 1000, 80", p.Throughput("n1"), p.Throughput("n2"), p.Throughput("other"))
	}
}
