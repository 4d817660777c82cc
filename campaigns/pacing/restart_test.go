package pacing

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// TestRestartIsNotLiftedByTheOldDay: a number that sent its full cap on step 3 the day
// before it resumes restarts on step 0, and the runner's judgement of that day (Advance)
// does not lift the fresh step to 4 — nor to 1: the day was sent on the old step.
func TestRestartIsNotLiftedByTheOldDay(t *testing.T) {
	srv := redistest.Start(t)
	if srv == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	st := NewRedisState(srv.Client(t), "t")
	ref := NumberRef{Number: "n1", Portfolio: "pf"}
	ramp := Ramp{Steps: []int{10, 20, 40, 80, 160}, MinShare: 0.5, MaxFailureRate: 0.05, MaxOptOutRate: 0.05, StepBack: 1}
	if err := st.Save(ctx, ref.Number, Warmup{Step: 3, Day: "2026-03-01"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range 80 {
		if g, err := st.Reserve(ctx, Reservation{NumberRef: ref, Contact: "c", Day: "2026-03-02", At: at.Add(time.Duration(i) * time.Second)}); err != nil || !g.OK {
			t.Fatalf("reserve: %+v, %v", g, err)
		}
	}
	if err := st.Restart(ctx, ref.Number, 0, "2026-03-03", time.Minute); err != nil {
		t.Fatal(err)
	}
	ws, _ := st.Load(ctx, []chat.NumberID{ref.Number})
	w, j, err := st.Advance(ctx, ref, ramp, ws[ref.Number], "2026-03-02", time.Minute)
	if err != nil || j != nil || w.Step != 0 || w.Day != "2026-03-02" {
		t.Fatalf("after the restart, Advance(2026-03-02) = %+v, judged %v, %v; want step 0, not judged", w, j != nil, err)
	}
	// The resume day itself is judged the day after, on the fresh step.
	for i := range 10 {
		if g, err := st.Reserve(ctx, Reservation{NumberRef: ref, Contact: "c", Day: "2026-03-03", At: at.Add(24*time.Hour + time.Duration(i)*time.Second)}); err != nil || !g.OK {
			t.Fatalf("reserve: %+v, %v", g, err)
		}
	}
	if w, j, err := st.Advance(ctx, ref, ramp, w, "2026-03-03", time.Minute); err != nil || j == nil || w.Step != 1 {
		t.Fatalf("Advance(2026-03-03) = %+v, judged %v, %v; want step 1", w, j != nil, err)
	}
}

// TestRestartWaitsForAJudgeInFlight: while another replica holds the day's judge mark
// and has not saved, Restart changes nothing and says so.
func TestRestartWaitsForAJudgeInFlight(t *testing.T) {
	srv := redistest.Start(t)
	if srv == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	st := NewRedisState(srv.Client(t), "t")
	if err := st.Save(ctx, "n1", Warmup{Step: 3, Day: "2026-03-01"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Client(t).Set(ctx, st.JudgeMarkKey("n1", "2026-03-02"), "1", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if err := st.Restart(ctx, "n1", 0, "2026-03-03", time.Minute); !errors.Is(err, ErrJudging) {
		t.Fatalf("Restart = %v; want ErrJudging", err)
	}
	ws, _ := st.Load(ctx, []chat.NumberID{"n1"})
	if ws["n1"].Step != 3 {
		t.Fatalf("the warm-up changed: %+v", ws["n1"])
	}
}
