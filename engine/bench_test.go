package engine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

// benchFlows is a small, typical flow set: a menu with reply buttons, then a question.
var benchFlows = fstest.MapFS{
	"menu.yaml": {Data: []byte(`
flow: menu
triggers:
  - keywords: [hi, menu]
steps:
  - id: pick
    buttons: "Welcome! What would you like?"
    options:
      - { id: ORDER, title: Order, goto: order }
      - { id: HOURS, title: Hours, goto: hours }
  - id: order
    ask: "How many cups?"
    save: cups
    validate: 'answer matches "^[0-9]+$"'
    value: int(answer)
    retry: "A number, please."
  - say: "{{ vars.cups }} cups coming up."
  - end: true
  - id: hours
    end: "We are open 9 to 5."
`)},
}

// benchTurn is the i-th message of a contact's conversation: the greeting, the button, the
// answer, over and over; each is answered.
func benchTurn(id chat.ContactID, i int) chat.Inbound {
	in := chat.Inbound{ID: fmt.Sprintf("wamid.%s.%d", id, i), Contact: id, Number: "1029384756", Kind: chat.KindText, At: time.Now()}
	switch i % 3 {
	case 0:
		in.Text = "hi"
	case 1:
		in.Kind, in.Text, in.ReplyID = chat.KindButtonReply, "Order", "ORDER"
	case 2:
		in.Text = "3"
	}
	return in
}

// countingSender counts the replies.
type countingSender struct{ n atomic.Int64 }

func (c *countingSender) Send(context.Context, chat.Outbound) error {
	c.n.Add(1)
	return nil
}

// benchBackends are the Redis deployments; the real ones skip without redis-server (and
// fail with CI=true, as the store's tests do).
var benchBackends = []struct {
	name   string
	client func(b *testing.B) redis.UniversalClient
}{
	{"embedded", func(b *testing.B) redis.UniversalClient {
		m := miniredis.RunT(b)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		b.Cleanup(func() { _ = c.Close() })
		return c
	}},
	{"redis", func(b *testing.B) redis.UniversalClient { return redistest.Start(b).Client(b) }},
	{"cluster", func(b *testing.B) redis.UniversalClient { return redistest.StartCluster(b).Client(b) }},
}

func loadBenchFlows(b *testing.B) *flows.Set {
	b.Helper()
	set, diags := flows.LoadFS(benchFlows, ".")
	if diags.HasErrors() || set == nil {
		b.Fatalf("loading the benchmark flows: %v", diags)
	}
	return set
}

// BenchmarkReceive measures Engine.Receive over the Redis store: messages per second with
// as many goroutines as GOMAXPROCS times 8, each its own contacts, and allocations per
// message. Every message is answered, so each is one Load and one Commit.
func BenchmarkReceive(b *testing.B) {
	set := loadBenchFlows(b)
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s, err := store.New(be.client(b), store.Options{Prefix: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			out := &countingSender{}
			eng := engine.New(set, s, out, engine.Options{})
			var worker atomic.Int64
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer() // a cluster takes seconds to start
			b.RunParallel(func(pb *testing.PB) {
				w := worker.Add(1)
				const contacts = 16 // per goroutine
				i := 0
				for pb.Next() {
					id := chat.ContactID(fmt.Sprintf("9665%04d%04d", w, i%contacts))
					if err := eng.Receive(b.Context(), nil, benchTurn(id, i/contacts)); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			if got := out.n.Load(); got < int64(b.N) {
				b.Fatalf("%d replies to %d messages", got, b.N)
			}
		})
	}
}

// BenchmarkReceiveThroughIntake measures the whole inbound path of a replica: Push to the
// durable intake, a worker claims the contact and hands the message to Engine.Receive,
// then acknowledges it. msgs/s is from the first push to the last reply.
func BenchmarkReceiveThroughIntake(b *testing.B) {
	set := loadBenchFlows(b)
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			client := be.client(b)
			opts := store.Options{Prefix: "bench-intake"}
			s, err := store.New(client, opts)
			if err != nil {
				b.Fatal(err)
			}
			q := store.NewIntake(client, opts)
			out := &countingSender{}
			eng := engine.New(set, s, out, engine.Options{})
			ctx, cancel := context.WithCancel(b.Context())
			done := make(chan error, 1)
			go func() {
				done <- q.Run(ctx, 32, func(ctx context.Context, tx *store.Tx, in chat.Inbound) error { return eng.Receive(ctx, tx, in) })
			}()
			defer func() {
				cancel()
				if err := <-done; err != nil {
					b.Error(err)
				}
			}()
			const contacts, batch = 256, 64
			b.ReportAllocs()
			b.ResetTimer()
			var msgs []chat.Inbound
			for i := range b.N {
				id := chat.ContactID(fmt.Sprintf("9667%08d", i%contacts))
				msgs = append(msgs, benchTurn(id, i/contacts))
				if len(msgs) == batch || i == b.N-1 {
					if err := q.Push(ctx, msgs); err != nil {
						b.Fatal(err)
					}
					msgs = msgs[:0]
				}
			}
			deadline := time.Now().Add(5 * time.Minute)
			for out.n.Load() < int64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("%d replies to %d messages after 5 minutes", out.n.Load(), b.N)
				}
				time.Sleep(time.Millisecond) // polling the replies
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkServePath measures one message along `wasla serve`'s whole path: Push to the
// intake (which hands the contact to a waiting worker), Engine.Receive through the
// intake's transaction, the commit that queues the reply in the outbox (and releases the
// contact), and the outbox sender delivering it and acknowledging the delivery. msgs/s is
// from the first push to the last delivery.
func BenchmarkServePath(b *testing.B) {
	set := loadBenchFlows(b)
	for _, be := range benchBackends[1:2] { // one local redis-server
		b.Run(be.name, func(b *testing.B) {
			client := be.client(b)
			opts := store.Options{Prefix: "bench-serve", Outbox: true}
			s, err := store.New(client, opts)
			if err != nil {
				b.Fatal(err)
			}
			q := store.NewIntakeOf(s, opts)
			o, err := store.NewOutbox(s, 0)
			if err != nil {
				b.Fatal(err)
			}
			var delivered atomic.Int64
			eng := engine.New(set, s, nil, engine.Options{})
			ctx, cancel := context.WithCancel(b.Context())
			done := make(chan error, 2)
			go func() {
				done <- q.Run(ctx, 32, func(ctx context.Context, tx *store.Tx, in chat.Inbound) error { return eng.Receive(ctx, tx, in) })
			}()
			go func() {
				done <- o.Run(ctx, 32, func(context.Context, store.Delivery) store.Outcome {
					delivered.Add(1)
					return store.Outcome{}
				})
			}()
			defer func() {
				cancel()
				for range 2 {
					if err := <-done; err != nil {
						b.Error(err)
					}
				}
			}()
			const contacts, batch = 256, 64
			b.ReportAllocs()
			b.ResetTimer()
			var msgs []chat.Inbound
			for i := range b.N {
				id := chat.ContactID(fmt.Sprintf("9668%08d", i%contacts))
				msgs = append(msgs, benchTurn(id, i/contacts))
				if len(msgs) == batch || i == b.N-1 {
					if err := q.Push(ctx, msgs); err != nil {
						b.Fatal(err)
					}
					msgs = msgs[:0]
				}
			}
			deadline := time.Now().Add(5 * time.Minute)
			for delivered.Load() < int64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("%d replies delivered for %d messages after 5 minutes", delivered.Load(), b.N)
				}
				time.Sleep(time.Millisecond) // polling the deliveries
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
