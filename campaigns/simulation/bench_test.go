package simulation

import (
	"context"
	"testing"
)

// BenchmarkSimulate100k plays a 100,000-contact campaign over 5 numbers for up to 30 days
// with the default ramp, health policy and model:
//
//	go test -run '^$' -bench Simulate100k -benchtime 1x ./campaigns/simulation/
func BenchmarkSimulate100k(b *testing.B) {
	sc := defaultScenario(b, 100_000)
	for b.Loop() {
		r, err := Run(context.Background(), sc, DefaultModel())
		if err != nil {
			b.Fatal(err)
		}
		if r.Finished == "" {
			b.Fatalf("not finished: %+v", r.Stopped)
		}
	}
}
