package flowtest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
)

// timerEngine is a fake Conversation whose one contact holds a list of timers; each timer
// that fires may schedule another one after it, as a wait step followed by a wait does.
type timerEngine struct {
	clock    *clock.Manual
	burst    time.Duration
	timers   []time.Time
	chain    time.Duration // when > 0, every fired timer schedules one this much later
	fired    []time.Time   // the clock at each firing
	received []chat.Inbound
	stuck    bool // RunDue acts but never clears the timer
}

func (e *timerEngine) Receive(_ context.Context, _ engine.Tx, in chat.Inbound) error {
	e.received = append(e.received, in)
	return nil
}

func (e *timerEngine) RunDue(context.Context) (int, error) {
	now := e.clock.Now()
	var keep []time.Time
	n := 0
	for _, t := range e.timers {
		if t.After(now) {
			keep = append(keep, t)
			continue
		}
		n = 1
		e.fired = append(e.fired, now)
		if e.stuck {
			keep = append(keep, t)
		} else if e.chain > 0 {
			keep = append(keep, now.Add(e.chain))
		}
	}
	e.timers = keep
	return n, nil
}

func (e *timerEngine) State(_ context.Context, id chat.ContactID) (*contact.State, error) {
	st := &contact.State{Contact: contact.Contact{ID: id}}
	for _, t := range e.timers {
		st.Session.Timers = append(st.Session.Timers, contact.Timer{Kind: contact.TimerWait, Due: t})
	}
	return st, nil
}

func (e *timerEngine) Flows() *flows.Set {
	return &flows.Set{Settings: flows.Settings{BurstWindow: e.burst}}
}

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func TestDriverAdvanceFiresChainedTimersAtTheirTimes(t *testing.T) {
	clk := clock.NewManual(t0)
	eng := &timerEngine{clock: clk, timers: []time.Time{t0.Add(2 * time.Hour)}, chain: 2 * time.Hour}
	d := NewDriver(eng, clk)
	d.Track("c")
	if err := d.Advance(context.Background(), 5*time.Hour); err != nil {
		t.Fatal(err)
	}
	want := []time.Time{t0.Add(2 * time.Hour), t0.Add(4 * time.Hour)}
	if !reflect.DeepEqual(eng.fired, want) {
		t.Errorf("fired at %v, want %v", eng.fired, want)
	}
	if got := clk.Now(); !got.Equal(t0.Add(5 * time.Hour)) {
		t.Errorf("clock at %v, want %v", got, t0.Add(5*time.Hour))
	}
}

func TestDriverAdvanceStopsARunawayTimer(t *testing.T) {
	clk := clock.NewManual(t0)
	eng := &timerEngine{clock: clk, timers: []time.Time{t0.Add(time.Minute)}, stuck: true}
	d := NewDriver(eng, clk)
	d.Track("c")
	err := d.Advance(context.Background(), time.Hour)
	if err == nil {
		t.Fatal("a timer that never clears did not stop Advance with an error")
	}
	if len(eng.fired) != maxTimerRounds {
		t.Errorf("fired %d times, want %d", len(eng.fired), maxTimerRounds)
	}
}

func TestDriverSettleLetsTheBurstWindowPassOncePerTurns(t *testing.T) {
	clk := clock.NewManual(t0)
	eng := &timerEngine{clock: clk, burst: 2 * time.Second}
	d := NewDriver(eng, clk)
	ctx := context.Background()
	for _, text := range []string{"hello", "are you there"} {
		if err := d.Send(ctx, chat.Inbound{Contact: "c", Kind: chat.KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Settle(ctx); err != nil { // nothing sent since: the clock stays
		t.Fatal(err)
	}
	if got := clk.Now(); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("clock at %v, want the burst window passed once", got)
	}
	if len(eng.received) != 2 || !eng.received[0].At.Equal(t0) || !eng.received[1].At.Equal(t0) {
		t.Errorf("a burst's messages are stamped with the same time: %+v", eng.received)
	}
	if eng.received[0].ID == "" || eng.received[0].ID == eng.received[1].ID {
		t.Errorf("message ids %q, %q: want distinct ids", eng.received[0].ID, eng.received[1].ID)
	}
}

type failingEngine struct{ timerEngine }

func (failingEngine) Receive(context.Context, engine.Tx, chat.Inbound) error {
	return errors.New("store down")
}

func TestDriverSendWrapsEngineErrors(t *testing.T) {
	clk := clock.NewManual(t0)
	d := NewDriver(&failingEngine{timerEngine{clock: clk}}, clk)
	err := d.Send(context.Background(), chat.Inbound{Contact: "c", Kind: chat.KindText})
	if err == nil || err.Error() != "receiving text message: store down" {
		t.Errorf("got %v", err)
	}
}
