package pacing

import (
	"strings"
	"testing"
	"time"
)

func TestRampJudge(t *testing.T) {
	r := DefaultRamp()
	tests := []struct {
		name    string
		w       Warmup
		d       DayResult
		step    int
		verdict Verdict
		reason  string
	}{
		{"a clean first day climbs", Warmup{}, DayResult{Day: "2026-03-01", Sent: 50}, 1, Clean, "cap rises to 100"},
		{"half the cap is enough", Warmup{Step: 1}, DayResult{Day: "2026-03-02", Sent: 50}, 2, Clean, "rises to 200"},
		{"a quiet day holds", Warmup{Step: 1}, DayResult{Day: "2026-03-02", Sent: 49}, 1, Quiet, "too few to judge"},
		{"failures go back", Warmup{Step: 3}, DayResult{Day: "2026-03-02", Sent: 400, QualityFailures: 21}, 2, Dirty, "5.2% of sends failed"},
		{"opt-outs go back", Warmup{Step: 3}, DayResult{Day: "2026-03-02", Sent: 400, OptOuts: 5}, 2, Dirty, "1.2% of recipients opted out"},
		{"never below the first step", Warmup{}, DayResult{Day: "2026-03-02", Sent: 10, OptOuts: 5}, 0, Dirty, "opted out"},
		{"the last step holds", Warmup{Step: 10}, DayResult{Day: "2026-03-02", Sent: 90000}, 10, Clean, "no cap"},
		{"a day is judged once", Warmup{Step: 2, Day: "2026-03-02"}, DayResult{Day: "2026-03-02", Sent: 200}, 2, Quiet, "judged already"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, v, reason := r.Judge(tt.w, tt.d)
			if w.Step != tt.step || v != tt.verdict || !strings.Contains(reason, tt.reason) {
				t.Fatalf("Judge = step %d, %s, %q; want step %d, %s, containing %q", w.Step, v, reason, tt.step, tt.verdict, tt.reason)
			}
		})
	}
}

func TestRampWakeRestartsAnIdleNumber(t *testing.T) {
	r := DefaultRamp()
	last := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	w := Warmup{Step: 6, LastSend: last}
	if got := r.Wake(w, last.Add(29*24*time.Hour)); got.Step != 6 {
		t.Errorf("after 29 idle days step = %d; want 6", got.Step)
	}
	if got := r.Wake(w, last.Add(30*24*time.Hour)); got.Step != 0 {
		t.Errorf("after 30 idle days step = %d; want 0", got.Step)
	}
	if r.Cap(Warmup{Step: 99}) != 0 || r.Cap(Warmup{}) != 50 {
		t.Errorf("Cap beyond the steps = %d, at the start = %d; want 0 and 50", r.Cap(Warmup{Step: 99}), r.Cap(Warmup{}))
	}
}

func TestRampValidate(t *testing.T) {
	for _, r := range []Ramp{{}, {Steps: []int{50, 0, 100}}, {Steps: []int{-1}}, {Steps: []int{5}, MinShare: 2}} {
		if r.Validate() == nil {
			t.Errorf("Validate(%+v) = nil; want an error", r)
		}
	}
	if err := DefaultRamp().Validate(); err != nil {
		t.Error(err)
	}
}
