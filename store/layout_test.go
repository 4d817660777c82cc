package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/internal/redistest"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// miniStore returns a store on a fresh miniredis with a manual clock at t0.
func miniStore(t *testing.T, opts Options) (*Redis, *miniredis.Miniredis, *clock.Manual) {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	clk := clock.NewManual(t0)
	opts.Clock = clk
	s, err := New(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, m, clk
}

// The keys and types written by a commit are the ones docs/redis.md lists.
func TestCommitWritesTheDocumentedKeys(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	st := &contact.State{Contact: contact.Contact{ID: "15551234567", Name: "Amira", UserID: "US.13491208655302741918"}}
	st.Session.Flow = "main"
	st.Session.Timers = []contact.Timer{{Kind: contact.TimerWait, Due: t0.Add(time.Minute)}}
	in := &chat.Inbound{ID: "wamid.1", Contact: "15551234567", Kind: chat.KindText, Text: "hi", At: t0}
	if err := s.Commit(t.Context(), st, []chat.Event{{Kind: chat.EventInbound, At: t0, Inbound: in}}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"wasla:{b:0143}:c:15551234567:contact":        "hash",
		"wasla:{b:0143}:c:15551234567:session":        "string",
		"wasla:{b:0143}:c:15551234567:history":        "list",
		"wasla:{b:0143}:c:15551234567:seen":           "zset",
		"wasla:{b:0143}:due":                          "zset",
		"wasla:{b:0143}:contacts":                     "set",
		"wasla:{b:0246}:user:US.13491208655302741918": "string",
	}
	got := m.Keys()
	if len(got) != len(want) {
		t.Fatalf("keys %v, want %v", got, want)
	}
	for _, k := range got {
		if typ := m.Type(k); typ != want[k] {
			t.Errorf("key %q has type %q, want %q", k, typ, want[k])
		}
	}
	fields, err := m.HKeys("wasla:{b:0143}:c:15551234567:contact")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"h", "p", "u", "v"}) {
		t.Errorf("contact hash fields %v, want [h p u v]", fields)
	}
	if score, err := m.ZScore("wasla:{b:0143}:due", "15551234567"); err != nil || score != float64(t0.Add(time.Minute).UnixMilli()) {
		t.Errorf("due score %v, %v; want the timer in unix ms", score, err)
	}
	if score, err := m.ZScore("wasla:{b:0143}:c:15551234567:seen", "wamid.1"); err != nil || score != float64(t0.UnixMilli()) {
		t.Errorf("seen score %v, %v; want the commit time in unix ms", score, err)
	}
	if ttl := m.TTL("wasla:{b:0143}:c:15551234567:seen"); ttl != DefaultDedupePeriod {
		t.Errorf("seen TTL %v, want the dedupe period", ttl)
	}
	if ok, _ := m.SIsMember("wasla:{b:0143}:contacts", "15551234567"); !ok {
		t.Errorf("the contact is not in its bucket's contact index")
	}
	if v, _ := m.Get("wasla:{b:0246}:user:US.13491208655302741918"); v != "15551234567" {
		t.Errorf("user id maps to %q, want the contact", v)
	}
}

func TestSessionTTL(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name    string
		ttl     time.Duration
		timers  []time.Duration // from now
		flow    string
		wantTTL time.Duration // 0: no TTL
		gone    bool          // no session key at all
	}{
		{"default idle time", 0, nil, "main", DefaultSessionTTL, false},
		{"configured idle time", time.Hour, nil, "main", time.Hour, false},
		{"a timer extends it", time.Hour, []time.Duration{3 * day, day}, "main", time.Hour + day, false},
		{"an overdue timer does not shorten it", time.Hour, []time.Duration{-time.Minute}, "main", time.Hour, false},
		{"negative never expires", -1, []time.Duration{day}, "main", 0, false},
		{"empty session is deleted", time.Hour, nil, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m, clk := miniStore(t, Options{SessionTTL: tt.ttl})
			st := &contact.State{Contact: contact.Contact{ID: "1"}}
			st.Session.Flow = tt.flow
			for _, d := range tt.timers {
				st.Session.Timers = append(st.Session.Timers, contact.Timer{Kind: contact.TimerWait, Due: clk.Now().Add(d)})
			}
			if err := s.Commit(t.Context(), st, nil); err != nil {
				t.Fatal(err)
			}
			k := s.keysOf("1")
			if exists := m.Exists(k.session); exists == tt.gone {
				t.Fatalf("session key exists = %v, want %v", exists, !tt.gone)
			}
			if got := m.TTL(k.session); got != tt.wantTTL {
				t.Errorf("session TTL %v, want %v", got, tt.wantTTL)
			}
			for _, key := range []string{k.contact, k.due} {
				if m.Exists(key) && m.TTL(key) != 0 {
					t.Errorf("%s has TTL %v, want none", key, m.TTL(key))
				}
			}
		})
	}
}

// An idle session expires; the profile, the version and the history stay, and the next
// commit starts from the kept version.
func TestSessionExpiryKeepsProfileAndHistory(t *testing.T) {
	s, m, _ := miniStore(t, Options{SessionTTL: time.Hour})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1", Name: "Amira", OptedOut: true, OptedOutAt: t0}}
	st.Session = contact.Session{Flow: "main", Step: "ask", Vars: map[string]any{"x": "y"}}
	if err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventOptOut, At: t0}}); err != nil {
		t.Fatal(err)
	}
	m.FastForward(time.Hour + time.Millisecond)
	got, err := s.Load(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	want := &contact.State{Contact: st.Contact, Version: 1}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after expiry got %+v, want %+v", got, want)
	}
	if err := s.Commit(ctx, got, nil); err != nil {
		t.Fatalf("commit after expiry: %v", err)
	}
	if n := historyLen(t, s, "1"); n != 1 {
		t.Fatalf("history has %d entries after the session expired, want 1", n)
	}
}

func historyLen(t *testing.T, s *Redis, id chat.ContactID) int {
	t.Helper()
	n := 0
	if err := s.History(t.Context(), id, time.Time{}, time.Time{}, func(chat.Event) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRetentionDropsOnlyWhatIsOutside(t *testing.T) {
	const retention = 30 * 24 * time.Hour
	s, _, clk := miniStore(t, Options{Retention: retention})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	at := []time.Duration{-40 * 24 * time.Hour, -retention - time.Millisecond, -retention, -time.Hour, 0}
	var events []chat.Event
	for i, d := range at {
		events = append(events, chat.Event{Kind: chat.EventInbound, At: t0.Add(d), Detail: string(rune('a' + i))})
	}
	// Committed at t0: the two entries older than the retention go at once.
	if err := s.Commit(ctx, st, events); err != nil {
		t.Fatal(err)
	}
	var got []string
	collect := func() []string {
		got = nil
		if err := s.History(ctx, "1", time.Time{}, time.Time{}, func(ev chat.Event) error {
			got = append(got, ev.Detail)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := collect(); !slices.Equal(got, []string{"c", "d", "e"}) {
		t.Fatalf("history %v, want [c d e]: entries inside the retention stay, the boundary included", got)
	}
	// A day later the entry that sat on the boundary has left the retention.
	clk.Advance(24 * time.Hour)
	if err := s.Commit(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if got := collect(); !slices.Equal(got, []string{"d", "e"}) {
		t.Fatalf("a day later history %v, want [d e]", got)
	}
}

func TestCommitFillsAndChecksEvents(t *testing.T) {
	s, _, clk := miniStore(t, Options{})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	if err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, Detail: "no contact, no time"}}); err != nil {
		t.Fatal(err)
	}
	var got []chat.Event
	if err := s.History(ctx, "1", time.Time{}, time.Time{}, func(ev chat.Event) error {
		got = append(got, ev)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Contact != "1" || !got[0].At.Equal(clk.Now()) {
		t.Fatalf("history %+v, want one entry of contact 1 at the store's clock", got)
	}
	err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, Contact: "2"}})
	if err == nil || !strings.Contains(err.Error(), "belongs to another contact") {
		t.Fatalf("commit of another contact's event = %v, want a refusal", err)
	}
	if err := s.Commit(ctx, &contact.State{}, nil); err == nil {
		t.Fatal("commit of a state without contact id succeeded")
	}
}

// Load and Commit take one round trip each (the script is sent once per server), so an
// inbound message costs two.
func TestRoundTrips(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	var counter roundTrips
	client.AddHook(&counter)
	s, err := New(client, Options{Prefix: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	handle := func() {
		t.Helper()
		st, err := s.Load(ctx, "1")
		if err != nil {
			t.Fatal(err)
		}
		st.Session.Flow = "main"
		if err := s.Commit(ctx, st, []chat.Event{{Kind: chat.EventInbound, At: t0}, {Kind: chat.EventOutbound, At: t0}}); err != nil {
			t.Fatal(err)
		}
	}
	handle()
	if got := counter.get(); got != 3 {
		t.Fatalf("the first load+commit took %d round trips, want 3 (EVALSHA answers NOSCRIPT, EVAL follows)", got)
	}
	counter.reset()
	for range 10 {
		handle()
	}
	if got := counter.get(); got != 20 {
		t.Fatalf("10 load+commit cycles took %d round trips, want 20", got)
	}
}

// roundTrips is a go-redis hook that counts commands and pipelines sent to the server.
type roundTrips struct {
	mu sync.Mutex
	n  int
}

func (r *roundTrips) reset()   { r.mu.Lock(); r.n = 0; r.mu.Unlock() }
func (r *roundTrips) get() int { r.mu.Lock(); defer r.mu.Unlock(); return r.n }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.count(cmd)
		return next(ctx, cmd)
	}
}

func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 {
			r.count(cmds[0])
		}
		return next(ctx, cmds)
	}
}

// count counts a round trip unless it is the handshake of a new connection.
func (r *roundTrips) count(first redis.Cmder) {
	switch first.Name() {
	case "hello", "client", "auth", "select":
		return
	}
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

func TestLoadReportsCorruptState(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	k := s.keysOf("1")
	m.HSet(k.contact, "v", "1", "p", "{not json")
	if _, err := s.Load(t.Context(), "1"); err == nil || !strings.Contains(err.Error(), "decoding profile") {
		t.Fatalf("Load of a corrupt profile = %v, want a decoding error", err)
	}
	m.HSet(k.contact, "p", "{}")
	if err := m.Set(k.session, "["); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(t.Context(), "1"); err == nil || !strings.Contains(err.Error(), "decoding session") {
		t.Fatalf("Load of a corrupt session = %v, want a decoding error", err)
	}
}

func TestUnreachableRedisWraps(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	s, err := New(c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	ctx := t.Context()
	_, err = s.Load(ctx, "1")
	if err == nil || !strings.HasPrefix(err.Error(), "store: loading contact: ") {
		t.Errorf("Load = %v, want a wrapped error", err)
	}
	err = s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "1"}}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "store: commit: ") || errors.Is(err, contact.ErrConflict) {
		t.Errorf("Commit = %v, want a wrapped error that is no conflict", err)
	}
	if _, err = s.Due(ctx, t0, 10); err == nil || !strings.HasPrefix(err.Error(), "store: reading due timers: ") {
		t.Errorf("Due = %v, want a wrapped error", err)
	}
}

// TestResolveContactsIsOneRoundTrip: a webhook POST of many messages resolves all their
// contacts before it answers, so the cost must not grow with the batch.
func TestResolveContactsIsOneRoundTrip(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	var counter roundTrips
	client.AddHook(&counter)
	s, err := New(client, Options{Prefix: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	waIDs, userIDs := make([]string, 1000), make([]string, 1000)
	for i := range waIDs {
		waIDs[i], userIDs[i] = fmt.Sprint(15550000000+i), fmt.Sprint("US.", i)
	}
	ids, err := s.ResolveContacts(t.Context(), waIDs, userIDs)
	if err != nil || len(ids) != 1000 || ids[999] != "15550000999" {
		t.Fatalf("ResolveContacts = %d ids (last %q), %v", len(ids), ids[len(ids)-1], err)
	}
	if got := counter.get(); got != 1 {
		t.Errorf("resolving 1000 contacts took %d round trips, want 1", got)
	}
}
