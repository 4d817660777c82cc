package pacing

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// TestAdvanceJudgesOnceAcrossReplicas lets eight replicas advance the same number's day at
// once: exactly one judges it, and a dirty day (a quality
// failure in ten sends) takes the number back.
func TestAdvanceJudgesOnceAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	if srv == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	st := NewRedisState(srv.Client(t), "t")
	ref := NumberRef{Number: "n1", Portfolio: "pf"}
	ramp := Ramp{Steps: []int{10, 20, 40}, MinShare: 0.5, MaxFailureRate: 0.05, MaxOptOutRate: 0.05, StepBack: 1}
	send := func(day string, n int, at time.Time) {
		for i := range n {
			g, err := st.Reserve(ctx, Reservation{NumberRef: ref, Contact: "c", Day: day, At: at.Add(time.Duration(i) * time.Second)})
			if err != nil || !g.OK {
				t.Fatalf("reserve: %+v, %v", g, err)
			}
		}
	}
	judge := func(day string) (Warmup, int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		judged := 0
		for range 8 {
			wg.Go(func() {
				ws, err := st.Load(ctx, []chat.NumberID{ref.Number})
				if err != nil {
					t.Error(err)
					return
				}
				_, j, err := st.Advance(ctx, ref, ramp, ws[ref.Number], day, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if j != nil {
					judged++
				}
			})
		}
		wg.Wait()
		ws, _ := st.Load(ctx, []chat.NumberID{ref.Number})
		return ws[ref.Number], judged
	}
	t1 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	send("2026-03-01", 10, t1)
	if w, n := judge("2026-03-01"); n != 1 || w.Step != 1 || w.Day != "2026-03-01" || !w.LastSend.Equal(t1.Add(9*time.Second)) {
		t.Fatalf("clean day: %+v judged %d times; want step 1, judged once", w, n)
	}
	if w, n := judge("2026-03-01"); n != 0 || w.Step != 1 {
		t.Fatalf("judged again: %+v, %d", w, n)
	}
	send("2026-03-02", 10, t1.Add(24*time.Hour))
	if err := st.Note(ctx, ref.Number, "2026-03-02", OutcomeQualityFailure); err != nil {
		t.Fatal(err)
	}
	if w, n := judge("2026-03-02"); n != 1 || w.Step != 0 {
		t.Fatalf("dirty day: %+v judged %d times; want step 0", w, n)
	}
}
