package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// HistoryReader is implemented by stores that can read a contact's history back. Run checks
// the history through it; a store without it has its history checks skipped.
type HistoryReader interface {
	// History calls fn with the contact's entries whose time is in [from, to), oldest
	// first; zero from and to are open ends.
	History(ctx context.Context, id chat.ContactID, from, to time.Time, fn func(chat.Event) error) error
}

// Store is the contract the engine's store must keep, as the engine declares it
// (engine.Store): Load, Commit and Due over package contact's state. It is repeated here so
// that this suite, used by the store's own tests, does not compile the engine.
type Store interface {
	Load(ctx context.Context, id chat.ContactID) (*contact.State, error)
	Commit(ctx context.Context, st *contact.State, history []chat.Event) error
	Due(ctx context.Context, now time.Time, limit int) ([]chat.ContactID, error)
}

// Run runs the Store contract against stores made by newStore. The subtests run in
// parallel, so every call of newStore must return a store that shares no data with the
// others (a fresh key prefix or a fresh server).
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"LoadUnknownContact", testLoadUnknown},
		{"RoundTrip", testRoundTrip},
		{"EmptySession", testEmptySession},
		{"VersionConflict", testVersionConflict},
		{"HistoryInOrder", testHistoryInOrder},
		{"HistoryTimeRange", testHistoryTimeRange},
		{"DueFollowsNextDue", testDueFollowsNextDue},
		{"DueLimitEarliestFirst", testDueLimit},
		{"ConcurrentCommitsOneWins", testConcurrentOneWins},
		{"ConcurrentIncrementsLoseNothing", testNoLostUpdates},
		{"ManyContactsInParallel", testManyContacts},
		{"DuplicateInboundRefused", testDuplicateRefused},
		{"DuplicateDeliveredTwiceAtOnce", testDuplicateAtOnce},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newStore(t))
		})
	}
}

// base is a fixed instant in UTC: times must compare equal after a JSON round trip.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func testLoadUnknown(t *testing.T, s Store) {
	st, err := s.Load(t.Context(), "15550000001")
	if err != nil {
		t.Fatal(err)
	}
	if st.Version != 0 {
		t.Errorf("Version = %d, want 0", st.Version)
	}
	if st.Contact.ID != "" && st.Contact.ID != "15550000001" {
		t.Errorf("Contact.ID = %q, want the loaded id", st.Contact.ID)
	}
	if !reflect.DeepEqual(st.Session, contact.Session{}) {
		t.Errorf("Session = %+v, want empty", st.Session)
	}
}

// fullState sets every field of the state, so a field the store forgets to keep shows.
func fullState(id chat.ContactID) *contact.State {
	return &contact.State{
		Contact: contact.Contact{
			ID:         id,
			UserID:     "US.1234567890",
			Name:       "Amira",
			Language:   "ar",
			Tags:       []string{"vip", "returning"},
			Attrs:      map[string]string{"city": "Tunis", "plan": "gold"},
			OptedOut:   true,
			OptedOutAt: base.Add(-time.Hour),
			LastNumber: "1029384756",
		},
		Session: contact.Session{
			Flow: "order",
			Step: "ask_size",
			// JSON brings numbers back as float64, so the test stores float64.
			Vars: map[string]any{
				"name":  "Amira",
				"count": float64(3),
				"price": 12.5,
				"ok":    true,
				"none":  nil,
				"items": []any{"tea", float64(2)},
				"addr":  map[string]any{"street": "Rue 1", "zip": "1000"},
			},
			Await:       &contact.Await{Kind: contact.AwaitChoice, Flow: "order", Step: "ask_size", Retries: 1},
			Mode:        contact.ModeHuman,
			Queue:       "support",
			Stack:       []contact.Frame{{Flow: "main", Step: "call_order"}},
			Started:     base.Add(-10 * time.Minute),
			LastInbound: base,
			Pending: []chat.Inbound{{
				ID: "wamid.1", Contact: id, Number: "1029384756", Kind: chat.KindText,
				Text: "large", At: base,
			}},
			Timers: []contact.Timer{
				{Kind: contact.TimerTimeout, Due: base.Add(time.Hour), Flow: "order", Step: "ask_size"},
				{Kind: contact.TimerBurst, Due: base.Add(3 * time.Second)},
			},
		},
	}
}

func testRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000002"
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := fullState(id)
	want.Version = st.Version
	if err := s.Commit(ctx, want, nil); err != nil {
		t.Fatal(err)
	}
	if want.Version != 1 {
		t.Fatalf("Version after the first commit = %d, want 1", want.Version)
	}
	got, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("loaded state differs from the committed one\ngot  %+v\nwant %+v", got, want)
	}

	// A second commit replaces, it does not merge.
	got.Session.Vars = map[string]any{"only": "this"}
	got.Session.Timers = nil
	got.Contact.Tags = []string{"new"}
	if err := s.Commit(ctx, got, nil); err != nil {
		t.Fatal(err)
	}
	again, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 2 || !reflect.DeepEqual(again, got) {
		t.Fatalf("after the second commit\ngot  %+v\nwant %+v", again, got)
	}
}

func testEmptySession(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000003"
	st := fullState(id)
	if err := s.Commit(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	st.Session = contact.Session{} // the conversation ended; the profile stays
	if err := s.Commit(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || !reflect.DeepEqual(got.Contact, fullState(id).Contact) || !reflect.DeepEqual(got.Session, contact.Session{}) {
		t.Fatalf("got %+v, want version 2, the full profile and an empty session", got)
	}
}

func testVersionConflict(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000004"
	a, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	a.Session.Vars = map[string]any{"writer": "a"}
	if err := s.Commit(ctx, a, []chat.Event{{Kind: chat.EventInbound, Contact: id, At: base, Detail: "a"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		version int64
	}{
		{"stale", 0},
		{"ahead", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *b
			c.Version = tt.version
			c.Session.Vars = map[string]any{"writer": "b"}
			err := s.Commit(ctx, &c, []chat.Event{{Kind: chat.EventInbound, Contact: id, At: base, Detail: "b"}})
			if !errors.Is(err, contact.ErrConflict) {
				t.Fatalf("Commit of version %d over stored 1 = %v, want an error wrapping ErrConflict", tt.version, err)
			}
			if c.Version != tt.version {
				t.Errorf("refused Commit changed Version to %d", c.Version)
			}
		})
	}
	got, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Session.Vars["writer"] != "a" {
		t.Fatalf("after refused commits: version %d, vars %v; want version 1 written by a", got.Version, got.Session.Vars)
	}
	if h, ok := s.(HistoryReader); ok {
		if got := details(t, h, id); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("history = %v, want only [a]: a refused commit must append nothing", got)
		}
	}
}

// details reads the whole history and returns each entry's Detail.
func details(t *testing.T, h HistoryReader, id chat.ContactID) []string {
	t.Helper()
	var got []string
	err := h.History(t.Context(), id, time.Time{}, time.Time{}, func(ev chat.Event) error {
		got = append(got, ev.Detail)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func history(t *testing.T, s Store) HistoryReader {
	t.Helper()
	h, ok := s.(HistoryReader)
	if !ok {
		t.Skipf("%T does not implement storetest.HistoryReader", s)
	}
	return h
}

func testHistoryInOrder(t *testing.T, s Store) {
	h := history(t, s)
	ctx := t.Context()
	const id = "15550000005"
	in := chat.Inbound{ID: "wamid.9", Contact: id, Number: "111", Kind: chat.KindText, Text: "hi", At: base}
	out := chat.Outbound{To: id, From: "222", Kind: chat.KindText, Text: "hello", ReplyTo: "wamid.9"}
	var want []chat.Event
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// Three commits; times go back and forth (a late webhook, skewed replica clocks) and
	// several entries share a millisecond: the order of the commits must win.
	batches := [][]chat.Event{
		{
			{Kind: chat.EventInbound, Contact: id, Number: "111", At: base, Inbound: &in, Detail: "1"},
			{Kind: chat.EventOutbound, Contact: id, Number: "222", At: base, Outbound: &out, Flow: "main", Step: "greet", Detail: "2"},
		},
		{
			{Kind: chat.EventHandoff, Contact: id, Number: "222", At: base.Add(-time.Minute), Detail: "3"},
			{Kind: chat.EventAgent, Contact: id, Number: "333", At: base.Add(time.Minute), Detail: "4"},
		},
		{
			{Kind: chat.EventOptOut, Contact: id, Number: "111", At: base.Add(30 * time.Second), Detail: "5"},
			{Kind: chat.EventNumber, Contact: id, Number: "444", At: base.Add(2 * time.Minute), Detail: "6"},
			{Kind: chat.EventStatus, Contact: id, Number: "444", At: base.Add(2 * time.Minute), Detail: "7"},
		},
	}
	for _, b := range batches {
		if err := s.Commit(ctx, st, b); err != nil {
			t.Fatal(err)
		}
		want = append(want, b...)
	}
	var got []chat.Event
	err = h.History(ctx, id, time.Time{}, time.Time{}, func(ev chat.Event) error {
		got = append(got, ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("history differs\ngot  %+v\nwant %+v", got, want)
	}
	if other := details(t, h, "15550000099"); len(other) != 0 {
		t.Fatalf("another contact's history = %v, want empty", other)
	}
}

func testHistoryTimeRange(t *testing.T, s Store) {
	h := history(t, s)
	ctx := t.Context()
	const id = "15550000006"
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// One entry per minute, 0..9, committed in pages larger than one read page would be
	// pointless here; the store's paging is exercised by the many-entries case below.
	for i := range 10 {
		ev := chat.Event{Kind: chat.EventInbound, Contact: id, At: base.Add(time.Duration(i) * time.Minute), Detail: fmt.Sprint(i)}
		if err := s.Commit(ctx, st, []chat.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"all", time.Time{}, time.Time{}, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
		{"from inclusive", base.Add(7 * time.Minute), time.Time{}, []string{"7", "8", "9"}},
		{"to exclusive", time.Time{}, base.Add(2 * time.Minute), []string{"0", "1"}},
		{"window", base.Add(3 * time.Minute), base.Add(5 * time.Minute), []string{"3", "4"}},
		{"inside one millisecond", base.Add(4 * time.Minute), base.Add(4*time.Minute + time.Millisecond), []string{"4"}},
		{"empty", base.Add(time.Hour), time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := h.History(ctx, id, tt.from, tt.to, func(ev chat.Event) error {
				got = append(got, ev.Detail)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("callback error stops", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := h.History(ctx, id, time.Time{}, time.Time{}, func(chat.Event) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Fatalf("History = %v after %d calls, want the callback's error after 3", err, n)
		}
	})
	t.Run("many entries", func(t *testing.T) {
		const many = 1234 // more than one read page
		const id = "15550000007"
		st, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		batch := make([]chat.Event, many)
		for i := range batch {
			batch[i] = chat.Event{Kind: chat.EventStatus, Contact: id, At: base, Detail: fmt.Sprint(i)}
		}
		if err := s.Commit(ctx, st, batch); err != nil {
			t.Fatal(err)
		}
		got := details(t, h, id)
		if len(got) != many {
			t.Fatalf("read %d entries, want %d", len(got), many)
		}
		for i, d := range got {
			if d != fmt.Sprint(i) {
				t.Fatalf("entry %d is %q, want %d", i, d, i)
			}
		}
	})
}

func due(t *testing.T, s Store, now time.Time) []chat.ContactID {
	t.Helper()
	ids, err := s.Due(t.Context(), now, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func testDueFollowsNextDue(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000008"
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(timers ...time.Time) {
		t.Helper()
		st.Session.Timers = nil
		for _, d := range timers {
			st.Session.Timers = append(st.Session.Timers, contact.Timer{Kind: contact.TimerWait, Due: d})
		}
		if err := s.Commit(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, now time.Time, want bool) {
		t.Helper()
		got := slices.Contains(due(t, s, now), id)
		if got != want {
			t.Fatalf("%s: Due(%v) contains the contact = %v, want %v", step, now.Sub(base), got, want)
		}
	}
	t1, t2 := base.Add(time.Hour), base.Add(2*time.Hour)

	check("before any commit", t2, false)
	commit(t2, t1) // the earliest timer counts
	check("added", t1.Add(-time.Millisecond), false)
	check("added", t1, true)
	check("Due does not consume", t1, true)

	commit(t2) // moved later
	check("moved later", t1, false)
	check("moved later", t2, true)

	commit(t1) // moved earlier
	check("moved earlier", t1, true)

	commit() // no timer left
	check("removed", t2.Add(24*time.Hour), false)

	commit(base.Add(-time.Hour)) // already overdue
	check("overdue", base, true)
}

func testDueLimit(t *testing.T, s Store) {
	ctx := t.Context()
	var want []chat.ContactID
	for i := range 7 {
		id := chat.ContactID(fmt.Sprintf("1555100000%d", i))
		st, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		// Contact i is due at base+(7-i) minutes: the last one committed is the earliest.
		st.Session.Timers = []contact.Timer{{Kind: contact.TimerWait, Due: base.Add(time.Duration(7-i) * time.Minute)}}
		if err := s.Commit(ctx, st, nil); err != nil {
			t.Fatal(err)
		}
		want = append([]chat.ContactID{id}, want...)
	}
	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []chat.ContactID
	}{
		{"limit takes the earliest", base.Add(time.Hour), 3, want[:3]},
		{"all due", base.Add(time.Hour), 100, want},
		{"only those due", base.Add(2 * time.Minute), 100, want[:2]},
		{"none due", base, 100, nil},
		{"zero limit", base.Add(time.Hour), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Due(ctx, tt.now, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && !slices.Equal(got, tt.want)) {
				t.Fatalf("Due = %v, want %v", got, tt.want)
			}
		})
	}
}

func testConcurrentOneWins(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000009"
	const writers = 16
	for round := range 5 {
		loaded, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			winners []int
			other   []error
		)
		start := make(chan struct{})
		for w := range writers {
			st := *loaded
			st.Session.Vars = map[string]any{"writer": float64(w)}
			wg.Go(func() {
				<-start
				err := s.Commit(ctx, &st, []chat.Event{{Kind: chat.EventInbound, Contact: id, At: base, Detail: fmt.Sprint(w)}})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					winners = append(winners, w)
				case !errors.Is(err, contact.ErrConflict):
					other = append(other, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("round %d: errors other than ErrConflict: %v", round, other)
		}
		if len(winners) != 1 {
			t.Fatalf("round %d: %d commits of version %d succeeded, want exactly 1", round, len(winners), loaded.Version)
		}
		got, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != loaded.Version+1 || got.Session.Vars["writer"] != float64(winners[0]) {
			t.Fatalf("round %d: stored version %d by writer %v, want version %d by writer %d",
				round, got.Version, got.Session.Vars["writer"], loaded.Version+1, winners[0])
		}
		if h, ok := s.(HistoryReader); ok {
			d := details(t, h, id)
			if len(d) != round+1 || d[round] != fmt.Sprint(winners[0]) {
				t.Fatalf("round %d: history %v, want one entry per round, the last by writer %d", round, d, winners[0])
			}
		}
	}
}

// increment loads, adds one to vars["n"] and commits with one history entry, retrying on
// conflict, the way the engine handles a message.
func increment(ctx context.Context, s Store, id chat.ContactID, tag string) error {
	for {
		st, err := s.Load(ctx, id)
		if err != nil {
			return err
		}
		n, _ := st.Session.Vars["n"].(float64)
		st.Session.Vars = map[string]any{"n": n + 1}
		err = s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, Contact: id, At: base, Detail: tag}})
		if errors.Is(err, contact.ErrConflict) {
			continue
		}
		return err
	}
}

func testNoLostUpdates(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000010"
	const workers, each = 8, 25
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := increment(ctx, s, id, fmt.Sprintf("%d/%d", w, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Session.Vars["n"] != float64(workers*each) || st.Version != workers*each {
		t.Fatalf("n = %v at version %d, want %d at version %d", st.Session.Vars["n"], st.Version, workers*each, workers*each)
	}
	if h, ok := s.(HistoryReader); ok {
		d := details(t, h, id)
		if len(d) != workers*each {
			t.Fatalf("history has %d entries, want %d", len(d), workers*each)
		}
		// Each worker's own entries keep their order.
		next := make(map[string]int)
		for _, tag := range d {
			var w, i int
			if _, err := fmt.Sscanf(tag, "%d/%d", &w, &i); err != nil {
				t.Fatal(err)
			}
			if k := fmt.Sprint(w); i != next[k] {
				t.Fatalf("worker %d's entry %d came where %d was expected", w, i, next[k])
			} else {
				next[k]++
			}
		}
	}
}

func testManyContacts(t *testing.T, s Store) {
	ctx := t.Context()
	const contacts, each = 64, 10
	errs := make(chan error, contacts)
	var wg sync.WaitGroup
	for c := range contacts {
		id := chat.ContactID(fmt.Sprintf("1555200%04d", c))
		wg.Go(func() {
			for i := range each {
				if err := increment(ctx, s, id, fmt.Sprint(i)); err != nil {
					errs <- fmt.Errorf("contact %s: %w", id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	h, hasHistory := s.(HistoryReader)
	for c := range contacts {
		id := chat.ContactID(fmt.Sprintf("1555200%04d", c))
		st, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != each || st.Session.Vars["n"] != float64(each) {
			t.Fatalf("contact %s: version %d, n = %v; want %d and %d", id, st.Version, st.Session.Vars["n"], each, each)
		}
		if hasHistory {
			if d := details(t, h, id); len(d) != each {
				t.Fatalf("contact %s: %d history entries, want %d", id, len(d), each)
			}
		}
	}
}

// inboundEvent is the history entry of an inbound message with the given WhatsApp id.
func inboundEvent(id chat.ContactID, wamid string) chat.Event {
	in := chat.Inbound{ID: wamid, Contact: id, Number: "111", Kind: chat.KindText, Text: wamid, At: base}
	return chat.Event{Kind: chat.EventInbound, Contact: id, Number: "111", At: base, Inbound: &in, Detail: wamid}
}

// A commit whose history holds an inbound message id already committed is refused with
// ErrDuplicate and writes nothing, whatever its version; other ids and other contacts are
// not affected.
func testDuplicateRefused(t *testing.T, s Store) {
	ctx := t.Context()
	const id, other = "15550000011", "15550000012"
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, st, []chat.Event{inboundEvent(id, "wamid.A")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		version int64
		events  []chat.Event
	}{
		{"same id", 1, []chat.Event{inboundEvent(id, "wamid.A")}},
		{"same id among new ones", 1, []chat.Event{inboundEvent(id, "wamid.B"), inboundEvent(id, "wamid.A")}},
		{"same id at a stale version", 0, []chat.Event{inboundEvent(id, "wamid.A")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &contact.State{Contact: contact.Contact{ID: id}, Version: tt.version}
			c.Session.Vars = map[string]any{"dup": true}
			err := s.Commit(ctx, c, tt.events)
			if !errors.Is(err, contact.ErrDuplicate) {
				t.Fatalf("Commit = %v, want an error wrapping ErrDuplicate", err)
			}
			if c.Version != tt.version {
				t.Errorf("refused Commit changed Version to %d", c.Version)
			}
		})
	}
	got, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Session.Vars["dup"] != nil {
		t.Fatalf("after refused duplicates: version %d, vars %v; want version 1 untouched", got.Version, got.Session.Vars)
	}
	if h, ok := s.(HistoryReader); ok {
		if d := details(t, h, id); !slices.Equal(d, []string{"wamid.A"}) {
			t.Fatalf("history %v, want only [wamid.A]", d)
		}
	}
	// A new id is accepted, and so is an outbound event naming the old id as ReplyTo.
	reply := chat.Event{Kind: chat.EventOutbound, Contact: id, At: base, Outbound: &chat.Outbound{To: id, Kind: chat.KindText, ReplyTo: "wamid.A"}}
	if err := s.Commit(ctx, got, []chat.Event{inboundEvent(id, "wamid.C"), reply}); err != nil {
		t.Fatalf("commit of a new id: %v", err)
	}
	// Another contact is another history: the id is checked per contact.
	o, err := s.Load(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, o, []chat.Event{inboundEvent(other, "wamid.other")}); err != nil {
		t.Fatal(err)
	}
}

// The same message handled by many writers at once, each retrying on conflict as the engine
// does, is committed exactly once; every other writer ends with ErrDuplicate.
func testDuplicateAtOnce(t *testing.T, s Store) {
	ctx := t.Context()
	const id = "15550000013"
	const writers = 8
	for round := range 5 {
		wamid := fmt.Sprintf("wamid.%d", round)
		var (
			wg               sync.WaitGroup
			mu               sync.Mutex
			committed, dupes int
			other            []error
		)
		start := make(chan struct{})
		for range writers {
			wg.Go(func() {
				<-start
				var err error
				for {
					var st *contact.State
					if st, err = s.Load(ctx, id); err != nil {
						break
					}
					n, _ := st.Session.Vars["n"].(float64)
					st.Session.Vars = map[string]any{"n": n + 1}
					err = s.Commit(ctx, st, []chat.Event{inboundEvent(id, wamid)})
					if !errors.Is(err, contact.ErrConflict) {
						break
					}
				}
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					committed++
				case errors.Is(err, contact.ErrDuplicate):
					dupes++
				default:
					other = append(other, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(other) > 0 || committed != 1 || dupes != writers-1 {
			t.Fatalf("round %d: %d commits, %d duplicates, other errors %v; want 1 and %d", round, committed, dupes, other, writers-1)
		}
	}
	st, err := s.Load(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if st.Session.Vars["n"] != float64(5) {
		t.Fatalf("n = %v, want 5: one increment per message", st.Session.Vars["n"])
	}
}
