package store

import (
	"errors"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

func inbound(id chat.ContactID, wamid string, at time.Time) chat.Event {
	in := &chat.Inbound{ID: wamid, Contact: id, Kind: chat.KindText, Text: wamid, At: at}
	return chat.Event{Kind: chat.EventInbound, At: at, Inbound: in}
}

// The dedupe period bounds how long an id is remembered, and every commit forgets what
// fell out of it, so the seen set stays as small as the period's traffic.
func TestDedupePeriod(t *testing.T) {
	const period = 7 * 24 * time.Hour
	tests := []struct {
		name    string
		opts    Options
		after   time.Duration // clock moved between the two deliveries
		wantDup bool
	}{
		{"default period, redelivered a minute later", Options{}, time.Minute, true},
		{"default period, redelivered on its last millisecond", Options{}, period - time.Millisecond, true},
		{"default period, redelivered after it", Options{}, period + time.Millisecond, false},
		{"short period, redelivered after it", Options{DedupePeriod: time.Hour}, time.Hour + time.Second, false},
		{"short period, redelivered inside it", Options{DedupePeriod: time.Hour}, 59 * time.Minute, true},
		{"off", Options{DedupePeriod: -1}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, clk := miniStore(t, tt.opts)
			ctx := t.Context()
			st := &contact.State{Contact: contact.Contact{ID: "1"}}
			if err := s.Commit(ctx, st, []chat.Event{inbound("1", "wamid.1", clk.Now())}); err != nil {
				t.Fatal(err)
			}
			clk.Advance(tt.after)
			err := s.Commit(ctx, st, []chat.Event{inbound("1", "wamid.1", clk.Now())})
			if got := errors.Is(err, contact.ErrDuplicate); got != tt.wantDup {
				t.Fatalf("second delivery: Commit = %v, duplicate %v, want %v", err, got, tt.wantDup)
			}
			if !tt.wantDup && err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSeenSetIsTrimmed(t *testing.T) {
	s, m, clk := miniStore(t, Options{DedupePeriod: time.Hour})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "1"}}
	for _, id := range []string{"a", "b"} {
		if err := s.Commit(ctx, st, []chat.Event{inbound("1", id, clk.Now())}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(40 * time.Minute)
	}
	// a was seen 80 minutes ago, b 40: a leaves at the next commit with an id.
	if err := s.Commit(ctx, st, []chat.Event{inbound("1", "c", clk.Now())}); err != nil {
		t.Fatal(err)
	}
	k := s.keysOf("1")
	members, err := m.ZMembers(k.seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0] != "b" || members[1] != "c" {
		t.Fatalf("seen = %v, want [b c]", members)
	}
	if ttl := m.TTL(k.seen); ttl != time.Hour {
		t.Fatalf("seen TTL %v, want the period", ttl)
	}
	// Nothing to remember, nothing written: no seen set for a contact without messages.
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "2"}}, nil); err != nil {
		t.Fatal(err)
	}
	if m.Exists(s.keysOf("2").seen) {
		t.Fatal("a commit without inbound messages created a seen set")
	}
}

// A transaction under a lease makes Commit check the contact's intake lease in the script.
func TestCommitChecksTheFence(t *testing.T) {
	tests := []struct {
		name   string
		lease  string // stored token; "" no lease
		fence  string // the token the transaction holds; "" a plain commit
		wantOK bool
	}{
		{"no fence, no lease", "", "", true},
		{"no fence, someone holds the lease", "tok-b", "", true},
		{"fence matches", "tok-a", "tok-a", true},
		{"another holder took over", "tok-b", "tok-a", false},
		{"the lease ran out", "", "tok-a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, m, _ := miniStore(t, Options{})
			ctx := t.Context()
			if tt.lease != "" {
				if err := m.Set(s.keysOf("1").lease, tt.lease); err != nil {
					t.Fatal(err)
				}
			}
			st := &contact.State{Contact: contact.Contact{ID: "1"}}
			var err error
			if tt.fence != "" {
				tx := &Tx{r: s, id: "1", token: tt.fence, lease: time.Minute}
				err = tx.Commit(ctx, st, []chat.Event{inbound("1", "wamid.1", t0)})
			} else {
				err = s.Commit(ctx, st, []chat.Event{inbound("1", "wamid.1", t0)})
			}
			if tt.wantOK {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrFenced) || errors.Is(err, contact.ErrConflict) {
				t.Fatalf("Commit = %v, want ErrFenced and no ErrConflict (the engine must not retry)", err)
			}
			if st.Version != 0 || historyLen(t, s, "1") != 0 || m.Exists(s.keysOf("1").contact) {
				t.Fatal("a fenced commit wrote something")
			}
		})
	}
}

// The mapping is written once, and again by the next commit when the contact hash does not
// record it (a crash between the script and the mapping write leaves it so).
func TestUserMappingIsRetried(t *testing.T) {
	s, m, _ := miniStore(t, Options{})
	ctx := t.Context()
	st := &contact.State{Contact: contact.Contact{ID: "15551234567", UserID: "US.1"}}
	if err := s.Commit(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	k := s.keysOf("15551234567")
	if u := m.HGet(k.contact, "u"); u != "US.1" {
		t.Fatalf("u = %q after the first commit, want US.1", u)
	}
	// As after a crash between the script and the mapping write: the next commit writes it.
	m.Del(s.userKey("US.1"))
	m.HDel(k.contact, "u")
	if err := s.Commit(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Get(s.userKey("US.1")); v != "15551234567" {
		t.Fatalf("mapping = %q after the retry, want the contact", v)
	}
	// Once written, a commit does not write it again.
	m.Del(s.userKey("US.1"))
	if err := s.Commit(ctx, st, nil); err != nil {
		t.Fatal(err)
	}
	if m.Exists(s.userKey("US.1")) {
		t.Fatal("the mapping was written again although u records it")
	}
}
