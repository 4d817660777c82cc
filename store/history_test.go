package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

// Histories written as streams, before the history became a list, stay readable: a short
// one is converted by the contact's next commit, entries and ids unchanged; a long one
// stays a stream, which the commit appends to and History reads. Retention trims both.
func TestStreamHistoriesStayReadable(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	s, err := New(client, Options{Prefix: "mig"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	// writeStream writes a contact the way the store did before lists: n entries in a
	// stream, the last id in h.
	writeStream := func(id chat.ContactID, n int) []string {
		k := s.keysOf(id)
		var want []string
		var last string
		for i := range n {
			ev := chat.Event{Kind: chat.EventInbound, Contact: id, At: t0.Add(time.Duration(i) * time.Minute), Detail: fmt.Sprint("old ", i)}
			b, _ := json.Marshal(ev)
			last = fmt.Sprintf("%d-0", ev.At.UnixMilli())
			if err := client.XAdd(ctx, &redis.XAddArgs{Stream: k.history, ID: last, Values: []any{"e", b}}).Err(); err != nil {
				t.Fatal(err)
			}
			want = append(want, ev.Detail)
		}
		if err := client.HSet(ctx, k.contact, "v", 1, "p", `{"id":"`+string(id)+`"}`, "h", last).Err(); err != nil {
			t.Fatal(err)
		}
		return want
	}
	details := func(id chat.ContactID, from time.Time) []string {
		var got []string
		if err := s.History(ctx, id, from, time.Time{}, func(ev chat.Event) error {
			got = append(got, ev.Detail)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	commitNew := func(id chat.ContactID, at time.Time) {
		st, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, At: at, Detail: "new"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name    string
		entries int
		typ     string // after the commit
	}{
		{"short stream", 3, "list"},
		{"long stream", 70, "stream"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := chat.ContactID(fmt.Sprint("9665", tt.entries))
			want := writeStream(id, tt.entries)
			if got := details(id, time.Time{}); !slices.Equal(got, want) {
				t.Fatalf("before the commit: %v, want %v", got, want)
			}
			commitNew(id, t0.Add(time.Duration(tt.entries)*time.Minute))
			want = append(want, "new")
			if typ := client.Type(ctx, s.keysOf(id).history).Val(); typ != tt.typ {
				t.Fatalf("history is a %s after the commit, want a %s", typ, tt.typ)
			}
			if got := details(id, time.Time{}); !slices.Equal(got, want) {
				t.Fatalf("after the commit: %v, want %v", got, want)
			}
			// From the second entry's minute on: the walk skips the first.
			if got := details(id, t0.Add(time.Minute)); !slices.Equal(got, want[1:]) {
				t.Fatalf("from the second entry: %v, want %v", got, want[1:])
			}
		})
	}
}

// A history is a list entry per event, "<id> <event JSON>", in commit order, with ids that
// never go back even when an event's time does.
func TestHistoryListEntries(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	evs := []chat.Event{
		{Kind: chat.EventInbound, At: t0, Detail: "a"},
		{Kind: chat.EventOutbound, At: t0, Detail: "b"},
		{Kind: chat.EventInbound, At: t0.Add(-time.Second), Detail: "c"}, // late
	}
	if err := s.Commit(ctx, st, evs); err != nil {
		t.Fatal(err)
	}
	got, err := m.List(s.keysOf("1").history)
	if err != nil {
		t.Fatal(err)
	}
	ms := t0.UnixMilli()
	wantIDs := []string{fmt.Sprintf("%d-0", ms), fmt.Sprintf("%d-1", ms), fmt.Sprintf("%d-2", ms)}
	if len(got) != len(wantIDs) {
		t.Fatalf("%d entries, want %d: %q", len(got), len(wantIDs), got)
	}
	for i, e := range got {
		var ev chat.Event
		id, raw, _ := strings.Cut(e, " ")
		if id != wantIDs[i] {
			t.Errorf("entry %d id %q, want %q", i, id, wantIDs[i])
		}
		if err := json.Unmarshal([]byte(raw), &ev); err != nil || ev.Detail != evs[i].Detail {
			t.Errorf("entry %d = %q (%v), want event %q", i, raw, err, evs[i].Detail)
		}
	}
}

// A profile longer than 64 bytes is kept in up to four hash fields, so that the contact
// hash stays a listpack; it loads whole, at any size, and a profile that shrinks leaves no
// stale field behind.
func TestProfileSplitAcrossFields(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	ctx := t.Context()
	k := s.keysOf("1")
	for _, n := range []int{0, 3, 20, 60, 2} { // attributes: from 2 bytes to well past 256
		attrs := map[string]string{}
		for i := range n {
			attrs[fmt.Sprint("attribute-", i)] = "قيمة طويلة"
		}
		st, err := s.Load(ctx, "1")
		if err != nil {
			t.Fatal(err)
		}
		st.Contact.Attrs = attrs
		if err := s.Commit(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, "1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Contact.Attrs) != n || (n > 0 && got.Contact.Attrs["attribute-1"] != "قيمة طويلة") {
			t.Fatalf("%d attributes stored, %d loaded", n, len(got.Contact.Attrs))
		}
		size := len(contact.AppendContact(nil, &contact.Contact{Attrs: attrs}))
		fields := 0
		for _, f := range []string{"p", "p1", "p2", "p3"} {
			v := m.HGet(k.contact, f)
			if v != "" {
				fields++
			}
			if len(v) > 64 && f != "p3" {
				t.Errorf("field %s holds %d bytes, more than 64", f, len(v))
			}
		}
		if want := min((size+63)/64, 4); fields != want {
			t.Errorf("a %d-byte profile in %d fields, want %d", size, fields, want)
		}
	}
}

// TestHistoryKeepsWhatItLeavesOut: the history stores an event without the ids its key and
// the event already say (the contact, the inbound message's contact and number, the
// reply's recipient) and reads it back whole; an entry written whole before reads the same.
func TestHistoryKeepsWhatItLeavesOut(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id := chat.ContactID("966500000001")
	in := chat.Inbound{ID: "wamid.1", Contact: id, Number: "111", Kind: chat.KindText, Text: `"contact":"", stays`, At: at}
	out := chat.Outbound{To: id, From: "111", Kind: chat.KindText, Text: "أهلاً"}
	want := []chat.Event{
		{Kind: chat.EventInbound, Contact: id, Number: "111", At: at, Inbound: &in},
		{Kind: chat.EventOutbound, Contact: id, Number: "111", At: at, Outbound: &out},
	}
	for _, ev := range want {
		b, err := marshalStored(ev)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(`"966500000001"`)) || bytes.Contains(b, []byte(`"number":""`)) {
			t.Errorf("stored %s", b)
		}
		got, err := decodeEvent(id, "1-0", string(b))
		if err != nil || !reflect.DeepEqual(got, ev) {
			t.Errorf("read back %+v, %v; want %+v", got, err, ev)
		}
		whole, _ := json.Marshal(ev)
		if got, err := decodeEvent(id, "1-0", string(whole)); err != nil || !reflect.DeepEqual(got, ev) {
			t.Errorf("an entry written whole reads %+v, %v", got, err)
		}
	}
}
