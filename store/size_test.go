package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// TestMemoryUsage measures with MEMORY USAGE on a real server what a contact costs, for the
// size table of docs/redis.md (run with -v to see the figures), and fails when a figure
// grows well past the documented one.
func TestMemoryUsage(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	s, err := New(client, Options{Prefix: "size"})
	if err != nil {
		t.Fatal(err)
	}
	q := NewIntake(client, Options{Prefix: "size"})
	ctx := t.Context()
	const contacts, messages = 1000, 10
	for c := range contacts {
		id := chat.ContactID(fmt.Sprintf("96650%07d", c))
		st := &contact.State{Contact: contact.Contact{
			ID: id, UserID: fmt.Sprintf("SA.%019d", c), Name: "Amira Al-Harbi", Language: "ar",
			Tags: []string{"customer"}, LastNumber: "1029384756",
			Windows: map[chat.NumberID]time.Time{"1029384756": t0},
		}}
		for i := range messages {
			at := t0.Add(time.Duration(i) * time.Minute)
			st.Session = contact.Session{
				Flow: "order", Step: "ask_size",
				Vars:    map[string]any{"name": "Amira", "product": "qahwa", "count": float64(i)},
				Await:   &contact.Await{Kind: contact.AwaitAnswer, Flow: "order", Step: "ask_size"},
				Started: t0, LastInbound: at,
				Timers: []contact.Timer{{Kind: contact.TimerTimeout, Due: at.Add(30 * time.Minute), Flow: "order", Step: "ask_size"}},
			}
			in := chat.Inbound{ID: fmt.Sprintf("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhggM0E%04d%04d", c, i), Contact: id, UserID: st.Contact.UserID,
				ProfileName: "Amira Al-Harbi", Number: "1029384756", Kind: chat.KindText, Text: "أريد قهوة كبيرة من فضلك", At: at}
			out := chat.Outbound{To: id, From: "1029384756", Kind: chat.KindText, Text: "أي حجم تريد؟ صغير، وسط أو كبير", ReplyTo: in.ID}
			evs := []chat.Event{
				{Kind: chat.EventInbound, Number: in.Number, At: at, Inbound: &in},
				{Kind: chat.EventOutbound, Number: out.From, At: at, Outbound: &out, Flow: "order", Step: "ask_size"},
			}
			if err := s.Commit(ctx, st, evs); err != nil {
				t.Fatal(err)
			}
		}
		// One message waiting in the inbox of every tenth contact.
		if c%10 == 0 {
			in := chat.Inbound{ID: fmt.Sprintf("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhggM0E%04dxxxx", c), Contact: id, Number: "1029384756", Kind: chat.KindText, Text: "أريد قهوة كبيرة من فضلك", At: t0}
			if err := q.Push(ctx, []chat.Inbound{in}); err != nil {
				t.Fatal(err)
			}
		}
	}

	usage := func(key string) int64 {
		n, err := client.MemoryUsage(ctx, key, 0).Result()
		if err != nil {
			t.Fatalf("MEMORY USAGE %s: %v", key, err)
		}
		return n
	}
	sums := map[string]int64{}
	for c := range contacts {
		k := s.keysOf(chat.ContactID(fmt.Sprintf("96650%07d", c)))
		sums["contact"] += usage(k.contact)
		sums["session"] += usage(k.session)
		sums["history"] += usage(k.history)
		sums["seen"] += usage(k.seen)
		if c%10 == 0 {
			sums["inbox"] += usage(k.inbox)
		}
	}
	for b := range Buckets {
		for _, name := range []string{"due", "contacts", "ready"} {
			if n, err := client.Exists(ctx, s.bucketKey(b, name)).Result(); err == nil && n == 1 {
				sums[name] += usage(s.bucketKey(b, name))
			}
		}
	}
	users := int64(0)
	iter := client.Scan(ctx, 0, "size:*:user:*", 1000).Iterator()
	for iter.Next(ctx) {
		sums["user"] += usage(iter.Val())
		users++
	}
	if users != contacts {
		t.Fatalf("%d user id mappings, want %d", users, contacts)
	}
	per := map[string]float64{
		"contact hash":                 float64(sums["contact"]) / contacts,
		"session":                      float64(sums["session"]) / contacts,
		"history entry":                float64(sums["history"]) / (contacts * messages * 2),
		"seen id":                      float64(sums["seen"]) / (contacts * messages),
		"user id mapping":              float64(sums["user"]) / contacts,
		"timer index, per contact":     float64(sums["due"]) / contacts,
		"contact index, per contact":   float64(sums["contacts"]) / contacts,
		"queued message (inbox+ready)": float64(sums["inbox"]+sums["ready"]) / (contacts / 10),
	}
	var b strings.Builder
	for _, name := range []string{"contact hash", "session", "history entry", "seen id", "user id mapping",
		"timer index, per contact", "contact index, per contact", "queued message (inbox+ready)"} {
		fmt.Fprintf(&b, "\n  %-30s %6.0f bytes", name, per[name])
	}
	t.Logf("MEMORY USAGE, %d contacts with %d messages each:%s", contacts, messages, b.String())

	// Bounds well above the figures in docs/redis.md: a change that makes a contact much
	// bigger must update the documentation.
	limits := map[string]float64{
		"contact hash": 900, "session": 600, "history entry": 700, "seen id": 150,
		"queued message (inbox+ready)": 800,
	}
	for name, limit := range limits {
		if per[name] > limit {
			t.Errorf("%s: %.0f bytes, documented as well under %.0f; update docs/redis.md", name, per[name], limit)
		}
	}
}

// idleContactLimit is the bound on what an idle contact with a live session costs
// in Redis, with the server's default configuration.
const idleContactLimit = 2048

// TestMemoryPerIdleContact measures, on a real server with Redis's default configuration
// (stream-node-max-bytes 4096 included), what a contact costs after one conversation turn:
// a message in, a reply out and sent, the session live and waiting for an answer with a
// timeout timer — the state of most contacts most of the time. It sums MEMORY USAGE of
// every key of the contacts and of their buckets' indexes, and fails above 2 KB per contact.
// Run with -v for the figures by key.
func TestMemoryPerIdleContact(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	ctx := t.Context()
	if v, err := client.ConfigGet(ctx, "stream-node-max-bytes").Result(); err != nil || v["stream-node-max-bytes"] != "4096" {
		t.Fatalf("stream-node-max-bytes = %v (%v), want Redis's default 4096", v, err)
	}
	for _, tt := range []struct {
		name   string
		userID bool
	}{
		{"wa_id only", false},
		{"with Meta's user id", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			prefix := "idle"
			if tt.userID {
				prefix = "idleu"
			}
			s, err := New(client, Options{Prefix: prefix, Outbox: true})
			if err != nil {
				t.Fatal(err)
			}
			const contacts = 500
			for c := range contacts {
				id := chat.ContactID(fmt.Sprintf("96650%07d", c))
				at := t0.Add(time.Duration(c) * time.Second)
				// Sizes as Meta sends them: 15-digit phone number ids, 23-character user ids.
				const number = "106540352242922"
				st := &contact.State{Contact: contact.Contact{
					ID: id, Name: "أميرة الحربي", LastNumber: number,
					Windows: map[chat.NumberID]time.Time{number: at},
				}}
				if tt.userID {
					st.Contact.UserID = fmt.Sprintf("SA.%020d", c)
				}
				st.Session = contact.Session{
					Flow: "order", Step: "ask_size", Vars: map[string]any{"product": "qahwa"},
					Await:   &contact.Await{Kind: contact.AwaitAnswer, Flow: "order", Step: "ask_size"},
					Started: at, LastInbound: at,
					Timers: []contact.Timer{{Kind: contact.TimerTimeout, Due: at.Add(30 * time.Minute), Flow: "order", Step: "ask_size"}},
				}
				in := chat.Inbound{ID: fmt.Sprintf("wamid.HBgMOTY2NTAxMjM0NTY3FQIAEhggM0E%08d", c), Contact: id, UserID: st.Contact.UserID,
					ProfileName: "أميرة الحربي", Number: number, Kind: chat.KindText, Text: "أريد قهوة كبيرة من فضلك", At: at}
				out := chat.Outbound{To: id, From: number, Kind: chat.KindText, Text: "أي حجم تريد؟ صغير، وسط أو كبير", ReplyTo: in.ID}
				evs := []chat.Event{
					{Kind: chat.EventInbound, Number: in.Number, At: at, Inbound: &in},
					{Kind: chat.EventOutbound, Number: out.From, At: at, Outbound: &out, Flow: "order", Step: "ask_size"},
				}
				if err := s.Commit(ctx, st, evs); err != nil {
					t.Fatal(err)
				}
			}
			// The replies are sent by the real outbox, so each contact also holds its
			// reply's delivery state (sent, with a wamid as long as Meta's) and the
			// outbox is empty again, as for a contact between two messages.
			sendReplies(t, s, contacts)
			byKind := map[string]int64{}
			iter := client.Scan(ctx, 0, prefix+":*", 1000).Iterator()
			for iter.Next(ctx) {
				key := iter.Val()
				n, err := client.MemoryUsage(ctx, key, 0).Result()
				if err != nil {
					t.Fatalf("MEMORY USAGE %s: %v", key, err)
				}
				kind := key[strings.LastIndexByte(key, ':')+1:]
				if strings.Contains(key, ":user:") {
					kind = "user"
				}
				byKind[kind] += n
			}
			if err := iter.Err(); err != nil {
				t.Fatal(err)
			}
			var total int64
			var b strings.Builder
			for _, kind := range slices.Sorted(maps.Keys(byKind)) {
				total += byKind[kind]
				fmt.Fprintf(&b, "\n  %-10s %6.0f bytes", kind, float64(byKind[kind])/contacts)
			}
			per := float64(total) / contacts
			t.Logf("MEMORY USAGE per idle contact with a live session (%s): %.0f bytes%s", tt.name, per, b.String())
			if per > idleContactLimit {
				t.Errorf("an idle contact costs %.0f bytes, more than %d", per, idleContactLimit)
			}
		})
	}
}

// sendReplies runs the outbox until n replies were sent, each answered with a Meta-sized wamid.
func sendReplies(t *testing.T, s *Redis, n int) {
	t.Helper()
	o, err := NewOutbox(s, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var sent atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- o.Run(ctx, 8, func(_ context.Context, d Delivery) Outcome {
			sent.Add(1)
			return Outcome{Wamid: "wamid.HBgMOTY2NTAxMjM0NTY3FQIAERgSQjk3NUM3QTg5" + d.Entry}
		})
	}()
	// Done when every reply was handed over and no contact's outbox is left: the last
	// answers are recorded (send done) before their outbox vanishes.
	outboxes := func() int {
		keys, err := s.client.Keys(context.Background(), s.prefix+":*:outbox").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	deadline := time.Now().Add(20 * time.Second)
	for (sent.Load() < int64(n) || outboxes() > 0) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling a real server with a deadline
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := sent.Load(); got != int64(n) {
		t.Fatalf("the outbox sent %d replies of %d", got, n)
	}
}
