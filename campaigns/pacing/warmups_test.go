package pacing

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

func TestWarmupsContract(t *testing.T) {
	for name, newState := range states(t) {
		t.Run(name, func(t *testing.T) {
			ws := newState().(Warmups)
			ctx := context.Background()
			r := DefaultRamp()
			w, _, _ := r.Judge(Warmup{}, DayResult{Day: "2026-03-01", Sent: 50})
			w.LastSend = t0.Add(10 * time.Hour)
			if err := ws.Save(ctx, "n1", w); err != nil {
				t.Fatal(err)
			}
			got, err := ws.Load(ctx, []chat.NumberID{"n1", "n2"})
			if err != nil {
				t.Fatal(err)
			}
			want := map[chat.NumberID]Warmup{"n1": {Step: 1, Day: "2026-03-01", LastSend: t0.Add(10 * time.Hour)}, "n2": {}}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Load = %+v; want %+v", got, want)
			}
		})
	}
}
