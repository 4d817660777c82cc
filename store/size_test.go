package store

import (
	"fmt"
	"strings"
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
