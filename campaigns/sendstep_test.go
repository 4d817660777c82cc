package campaigns_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/sending"
)

// roundTrips counts the client's round trips to Redis: a command or a whole pipeline
// is one.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

// sendAll runs the live send step over a whole audience against Redis, the way the
// campaign worker will: a page of the audience and a usage snapshot per page; per
// contact, claim the pair, reserve the pacing, take a throughput slot, "send", and settle
// the answer. It returns the sends and the round trips the send loop made.
func sendAll(tb testing.TB, contacts int) (sends int, trips int64, elapsed time.Duration) {
	tb.Helper()
	srv := redistest.Start(tb)
	if srv == nil {
		tb.Skip("no redis-server")
	}
	rdb := srv.Client(tb)
	counter := &roundTrips{}
	rdb.AddHook(counter)
	ctx := context.Background()
	store, err := audience.NewRedis(rdb, "b", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("phone,name\n")
	for i := range contacts {
		fmt.Fprintf(&csv, "+9665%08d,n%d\n", i, i)
	}
	if _, err := audience.Import(ctx, strings.NewReader(csv.String()), store, audience.Options{}); err != nil {
		tb.Fatal(err)
	}
	cfg := pacing.Defaults()
	cfg.Ramp.Steps = []int{0} // no warm-up cap, no spacing: measure the step itself
	cfg.Hours = ""
	cfg.Canary.Share = 0
	planner, err := pacing.NewPlanner(cfg, []pacing.Number{
		{NumberRef: pacing.NumberRef{Number: "n1", Portfolio: "pf"}, Tier: "TIER_UNLIMITED", Usable: true},
		{NumberRef: pacing.NumberRef{Number: "n2", Portfolio: "pf"}, Tier: "TIER_UNLIMITED", Usable: true},
	})
	if err != nil {
		tb.Fatal(err)
	}
	state := pacing.NewRedisState(rdb, "b")
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	limiter := sending.NewRedisLimiter(rdb, "b", clk)
	zones := pacing.NewZones(nil)

	counter.n.Store(0)
	start := time.Now()
	const page = 200
	after := 0
	for {
		recipients, err := store.Next(ctx, after, page)
		if err != nil {
			tb.Fatal(err)
		}
		if len(recipients) == 0 {
			break
		}
		after = recipients[len(recipients)-1].Line
		now := clk.Now()
		u, err := state.Usage(ctx, planner.Day(now), planner.Refs(), now, cfg.ReachWindow)
		if err != nil {
			tb.Fatal(err)
		}
		for _, r := range recipients {
			clk.Advance(100 * time.Millisecond) // 10/s: inside the 80/s throughput
			now := clk.Now()
			zone, _ := zones.Of(r.Contact, "")
			d, res, grant, err := planner.Next(ctx, state, now, pacing.Candidate{Contact: r.Contact, Zone: zone}, u)
			if err != nil || d.Number == "" {
				tb.Fatalf("Next = %+v, %v", d, err)
			}
			attempt, err := store.Claim(ctx, r.Contact, d.Number, "w1", now, time.Minute)
			if errors.Is(err, audience.ErrNotClaimed) {
				if err := state.Release(ctx, res, grant); err != nil {
					tb.Fatal(err)
				}
				continue
			}
			if err != nil {
				tb.Fatal(err)
			}
			if _, err := limiter.Reserve(ctx, d.Number, cfg.DefaultThroughput, time.Second); err != nil {
				tb.Fatal(err)
			}
			// The Graph API call goes here; its answer is settled.
			if _, err := store.Settle(ctx, audience.Settlement{Contact: r.Contact, Attempt: attempt, Number: d.Number,
				At: now, Kind: audience.Sent, Level: 1, WAMID: "wamid." + string(r.Contact)}); err != nil {
				tb.Fatal(err)
			}
			sends++
		}
	}
	elapsed = time.Since(start)
	trips = counter.n.Load()
	var total outcome.Counters
	for _, n := range []chat.NumberID{"n1", "n2"} {
		fields, err := store.Counters(ctx, n)
		if err != nil {
			tb.Fatal(err)
		}
		total.Add(outcome.FromFields(fields))
	}
	if total.Sent != int64(contacts) || sends != contacts {
		tb.Fatalf("sent %d, counted %d; want %d", sends, total.Sent, contacts)
	}
	return sends, trips, elapsed
}

// TestSendStepRoundTrips pins the Redis round trips of one send: claim, pacing reserve,
// throughput slot and settle are one script call each, and the audience page and the
// usage snapshot are shared by a page of 200 contacts.
func TestSendStepRoundTrips(t *testing.T) {
	sends, trips, elapsed := sendAll(t, 1000)
	perSend := float64(trips) / float64(sends)
	t.Logf("%d sends, %d round trips (%.3f per send), %.0f sends/s", sends, trips, perSend, float64(sends)/elapsed.Seconds())
	// 4 per send, plus 3 per page of 200 (audience page, attributes, usage), plus the
	// first EVAL of each script (NOSCRIPT then EVAL).
	if perSend > 4.05 {
		t.Fatalf("%.3f round trips per send; want at most 4.05", perSend)
	}
}

// BenchmarkSendStep reports the round trips per send and the contacts scheduled per
// second for a 20,000-contact audience against a real redis-server:
//
//	go test -run '^$' -bench SendStep -benchtime 1x ./campaigns/
func BenchmarkSendStep(b *testing.B) {
	for range b.N {
		sends, trips, elapsed := sendAll(b, 20_000)
		b.ReportMetric(float64(trips)/float64(sends), "roundtrips/send")
		b.ReportMetric(float64(sends)/elapsed.Seconds(), "sends/s")
	}
}
