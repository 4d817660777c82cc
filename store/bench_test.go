package store

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// backends are the Redis deployments the benchmarks run on; a missing redis-server skips
// the real ones.
var backends = []struct {
	name   string
	client func(b *testing.B) redis.UniversalClient
}{
	{"miniredis", func(b *testing.B) redis.UniversalClient {
		m := miniredis.RunT(b)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		b.Cleanup(func() { _ = c.Close() })
		return c
	}},
	{"server", func(b *testing.B) redis.UniversalClient { return redistest.Start(b).Client(b) }},
	{"cluster", func(b *testing.B) redis.UniversalClient { return redistest.StartCluster(b).Client(b) }},
}

// handleMessage is what the engine does for one inbound message: load, change the session,
// commit with the inbound and the reply.
func handleMessage(b *testing.B, s *Redis, id chat.ContactID, n int) {
	ctx := b.Context()
	st, err := s.Load(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	now := t0.Add(time.Duration(n) * time.Second)
	st.Session.Flow, st.Session.Step = "order", "ask_size"
	if st.Session.Vars == nil {
		st.Session.Vars = map[string]any{"name": "Amira", "product": "tea"}
	}
	st.Session.Vars["count"] = float64(n)
	st.Session.Await = &contact.Await{Kind: contact.AwaitAnswer, Flow: "order", Step: "ask_size"}
	st.Session.Timers = []contact.Timer{{Kind: contact.TimerTimeout, Due: now.Add(10 * time.Minute)}}
	in := chat.Inbound{ID: fmt.Sprintf("wamid.%d", n), Contact: id, Number: "1029384756", Kind: chat.KindText, Text: "large please", At: now}
	out := chat.Outbound{To: id, From: "1029384756", Kind: chat.KindText, Text: "Which size? S, M or L", ReplyTo: in.ID}
	err = s.Commit(ctx, st, []chat.Event{
		{Kind: chat.EventInbound, Number: in.Number, At: now, Inbound: &in},
		{Kind: chat.EventOutbound, Number: out.From, At: now, Outbound: &out, Flow: "order", Step: "ask_size"},
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLoadCommit measures one message's storage work, one at a time: the latency.
func BenchmarkLoadCommit(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, err := New(be.client(b), Options{Prefix: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				handleMessage(b, s, chat.ContactID(fmt.Sprint(1_000_000+n%1000)), n)
				n++
			}
		})
	}
}

// BenchmarkLoadCommitParallel measures throughput with many contacts at once.
func BenchmarkLoadCommitParallel(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, err := New(be.client(b), Options{Prefix: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			var worker atomic.Int64
			b.ResetTimer() // starting a cluster takes seconds
			b.RunParallel(func(pb *testing.PB) {
				id := chat.ContactID(fmt.Sprint(2_000_000 + worker.Add(1)))
				n := 0
				for pb.Next() {
					handleMessage(b, s, id, n)
					n++
				}
			})
		})
	}
}

// BenchmarkDue measures one poll of the timer index (every bucket) with 1000 contacts
// waiting, 10 of them due.
func BenchmarkDue(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s, err := New(be.client(b), Options{Prefix: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			for i := range 1000 {
				st := &contact.State{Contact: contact.Contact{ID: chat.ContactID(fmt.Sprint(3_000_000 + i))}}
				st.Session.Timers = []contact.Timer{{Kind: contact.TimerWait, Due: t0.Add(time.Duration(i) * time.Minute)}}
				if err := s.Commit(b.Context(), st, nil); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				ids, err := s.Due(b.Context(), t0.Add(9*time.Minute), 100)
				if err != nil {
					b.Fatal(err)
				}
				if len(ids) != 10 {
					b.Fatalf("Due returned %d contacts, want 10", len(ids))
				}
			}
		})
	}
}
