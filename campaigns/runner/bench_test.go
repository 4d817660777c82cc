package runner

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/store"
)

// roundTrips counts the client's round trips to Redis: a command or a pipeline is one.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

type nopSender struct{ n atomic.Int64 }

func (s *nopSender) Attempt(context.Context, chat.Outbound) (string, error) {
	return "wamid.x", nil
}

// BenchmarkRunner runs the whole campaign loop (passes of 200 contacts: sweep, gate,
// retries, page, states, the pool's warm-ups, the page's profiles from the contact store
// (opt-outs and windows, one pipeline), usage, then per contact reserve, claim, render,
// send, settle) over 5,000 contacts against a real redis-server, with a Sender that
// answers at once, and reports contacts scheduled per second and Redis round trips per
// send (the sending package's throughput limiter excluded):
//
//	go test -run '^$' -bench Runner -benchtime 1x ./campaigns/runner/
func BenchmarkRunner(b *testing.B) {
	for range b.N {
		ctl, _ := startTB(b, 5000)
		counter := &roundTrips{}
		ctl.client.AddHook(counter)
		st, err := store.New(ctl.client, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		run, err := New(Options{Control: ctl, Sender: &nopSender{}, Clock: clk, Profiles: benchProfiles{st},
			Numbers: numbersOf{"1002": {Portfolio: "pf", Usable: true}, "1003": {Portfolio: "pf", Usable: true}}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		counter.n.Store(0)
		start := time.Now()
		for range 40 {
			if err := run.Pass(ctx); err != nil {
				b.Fatal(err)
			}
			clk.Advance(time.Second)
		}
		elapsed := time.Since(start)
		rep, err := ctl.Status(ctx, "offer")
		if err != nil {
			b.Fatal(err)
		}
		if rep.Total.Sent != 5000 {
			b.Fatalf("sent %d of 5000", rep.Total.Sent)
		}
		b.ReportMetric(float64(counter.n.Load())/5000, "roundtrips/send")
		b.ReportMetric(5000/elapsed.Seconds(), "contacts/s")
	}
}

// benchProfiles reads the page's profiles from the store, as the server's adapter does.
type benchProfiles struct{ st *store.Redis }

func (p benchProfiles) States(ctx context.Context, ids []chat.ContactID) ([]ContactState, error) {
	profiles, err := p.st.Profiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ContactState, len(ids))
	for i, c := range profiles {
		if c != nil {
			out[i] = ContactState{OptedOut: c.OptedOut, Windows: c.Windows}
		}
	}
	return out, nil
}
