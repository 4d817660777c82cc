package health

import (
	"encoding/json"
	"maps"
	"testing"
)

// Every change of standing carries a reason code and its values beside the English
// reason, so a page can say it in its own language; they survive the JSON of Redis.
func TestReasonCodes(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name   string
		before Standing
		score  float64
		meta   MetaStatus
		code   string
		args   map[string]any
	}{
		{"slowed", NewStanding(), 66, MetaStatus{}, ReasonSlowedScore, map[string]any{"score": 66.0, "threshold": 80.0, "allowance": 70.0}},
		{"stopped by score", NewStanding(), 30, MetaStatus{}, ReasonStoppedScore, map[string]any{"score": 30.0, "threshold": 40.0}},
		{"meta red", NewStanding(), 90, MetaStatus{Rating: Red}, ReasonMetaRed, nil},
		{"cannot send", NewStanding(), 90, MetaStatus{CannotSend: true, Reason: "waba BLOCKED"}, ReasonCannotSend, map[string]any{"meta": "waba BLOCKED"}},
		{"recovered", Standing{State: Slowed, Allowance: 0.5, LastDay: "2026-12-01"}, 85.4, MetaStatus{}, ReasonRecovered, map[string]any{"score": 85.0}},
		{"resumed", Standing{State: Stopped, Clean: 1, LastDay: "2026-12-01"}, 75, MetaStatus{}, ReasonResumed, map[string]any{"clean_days": 2.0, "score": 75.0, "step": 1.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, changed := p.Evaluate(tt.before, Score{Value: tt.score}, tt.meta, "2026-12-02")
			if !changed || s.Reason == "" || s.ReasonCode != tt.code || !maps.Equal(s.ReasonArgs, tt.args) {
				t.Fatalf("standing %+v (changed %v); want code %q args %v", s, changed, tt.code, tt.args)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			var back Standing
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !back.same(s) {
				t.Errorf("read back %+v, want %+v", back, s)
			}
		})
	}
}

func TestStandingSame(t *testing.T) {
	a := Standing{State: Slowed, Allowance: 0.5, ReasonCode: ReasonSlowedScore, ReasonArgs: map[string]any{"score": 66.0}}
	if !a.same(a) {
		t.Error("a standing differs from itself")
	}
	for _, b := range []Standing{
		{State: Slowed, Allowance: 0.5, ReasonCode: ReasonSlowedScore, ReasonArgs: map[string]any{"score": 67.0}},
		{State: Slowed, Allowance: 0.5, ReasonCode: ReasonStoppedScore, ReasonArgs: map[string]any{"score": 66.0}},
		{State: Slowed, Allowance: 0.55, ReasonCode: ReasonSlowedScore, ReasonArgs: map[string]any{"score": 66.0}},
	} {
		if a.same(b) {
			t.Errorf("%+v reads the same as %+v", b, a)
		}
	}
}
