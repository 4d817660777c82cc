package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// BenchmarkOutboxSend measures a reply's way through the outbox on a real redis-server:
// the commit that queues it and hands it to this process's sender, and the sender's
// record of Meta's answer (with its delivery state). Contacts are many, so sends overlap.
func BenchmarkOutboxSend(b *testing.B) {
	client := redistest.Start(b).Client(b)
	s, err := New(client, Options{Outbox: true, Prefix: "bo"})
	if err != nil {
		b.Fatal(err)
	}
	o, err := NewOutbox(s, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	var sent atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- o.Run(ctx, 16, func(_ context.Context, d Delivery) Outcome {
			sent.Add(1)
			return benchOutcome(d)
		})
	}()
	defer func() {
		cancel()
		<-done
	}()
	for s.out.running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	for i := range b.N {
		handleMessage(b, s, chat.ContactID(fmt.Sprintf("9665%08d", i%1000)), i)
	}
	for sent.Load() < int64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
}

// benchOutcome is Meta's answer: accepted, with a wamid.
func benchOutcome(d Delivery) Outcome {
	return Outcome{Wamid: "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSQUE4RjlCNzE0QkM3QjA4N0Y0AA==" + d.Entry}
}
