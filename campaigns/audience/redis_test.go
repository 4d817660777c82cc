package audience

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newRedis(t *testing.T) *Redis {
	t.Helper()
	srv := redistest.Start(t)
	s, err := NewRedis(srv.Client(t), "t", "ramadan")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRedisImportIsIdempotentAndReadsBackInOrder(t *testing.T) {
	s := newRedis(t)
	ctx := context.Background()
	phones, _ := NewPhones("SA")
	for run := range 2 {
		f, err := os.Open("testdata/small.csv")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Import(ctx, f, s, Options{PhoneColumn: "Mobile", Phones: phones, Marketing: true, BatchSize: 3})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		wantAdded, wantDup := 6, 1 // the opted-out row is in: no OptOuts given
		if run == 1 {
			wantAdded, wantDup = 0, 7
		}
		if rep.Added != wantAdded || rep.SkippedBy(Duplicate) != wantDup {
			t.Fatalf("run %d: added %d, duplicates %d; want %d, %d", run, rep.Added, rep.SkippedBy(Duplicate), wantAdded, wantDup)
		}
	}
	if n, err := s.Len(ctx); err != nil || n != 6 {
		t.Fatalf("Len = %d, %v; want 6", n, err)
	}
	cols, err := s.Columns(ctx)
	if err != nil || !reflect.DeepEqual(cols, []string{"Name", "City"}) {
		t.Fatalf("Columns = %q, %v", cols, err)
	}
	var lines []int
	after := 0
	for {
		page, err := s.Next(ctx, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			lines = append(lines, r.Line)
		}
		after = page[len(page)-1].Line
		if page[0].Line == 2 && !reflect.DeepEqual(page[0].Attrs, []string{"Ahmed", "Riyadh"}) {
			t.Errorf("first recipient's attributes = %q", page[0].Attrs)
		}
	}
	if want := []int{2, 3, 6, 8, 10, 11}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines = %v; want %v", lines, want)
	}
	err = s.Begin(ctx, Header{Phone: "phone", Attrs: []string{"Other"}})
	if err == nil {
		t.Fatal("Begin with other columns succeeded; want an error")
	}
}

func addOne(t *testing.T, s *Redis, ids ...chat.ContactID) {
	t.Helper()
	batch := make([]Recipient, len(ids))
	for i, id := range ids {
		batch[i] = Recipient{Contact: id, Line: i + 2}
	}
	if _, err := s.Add(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

func TestClaimOnlyOnceUnderContention(t *testing.T) {
	s := newRedis(t)
	ctx := context.Background()
	const contacts, replicas = 50, 8
	ids := make([]chat.ContactID, contacts)
	for i := range ids {
		ids[i] = chat.ContactID(fmt.Sprintf("9665000000%02d", i))
	}
	addOne(t, s, ids...)
	var mu sync.Mutex
	wins := map[chat.ContactID]int{}
	var wg sync.WaitGroup
	for r := range replicas {
		wg.Go(func() {
			for _, id := range ids {
				attempt, err := s.Claim(ctx, id, "n1", fmt.Sprint("replica-", r), t0, time.Minute)
				if errors.Is(err, ErrNotClaimed) {
					continue
				}
				if err != nil || attempt != 1 {
					t.Errorf("Claim = %d, %v", attempt, err)
					return
				}
				mu.Lock()
				wins[id]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if wins[id] != 1 {
			t.Errorf("contact %s claimed %d times; want once", id, wins[id])
		}
	}
	if _, err := s.Claim(ctx, "966599999999", "n1", "x", t0, time.Minute); !errors.Is(err, ErrNotClaimed) {
		t.Errorf("claiming a contact outside the audience = %v; want ErrNotClaimed", err)
	}
}

// step is one call in a ledger scenario: a claim or a settlement, with what it must return.
type step struct {
	claim   bool
	at      time.Duration // after t0
	set     Settlement    // for settlements; Contact, Number and At are filled in
	ok      bool          // the claim succeeded / the settlement changed the state
	attempt int           // the claim's attempt
}

func TestLedgerScenarios(t *testing.T) {
	const c = chat.ContactID("966501234567")
	tests := []struct {
		name     string
		steps    []step
		kind     Kind
		counters map[string]int64
	}{
		{"sent, then delivered and read; repeats change nothing", []step{
			{claim: true, ok: true, attempt: 1},
			{set: Settlement{Attempt: 1, Kind: Sent, Level: 1, WAMID: "wamid.A"}, ok: true},
			{set: Settlement{Attempt: 1, Kind: Sent, Level: 3, Cost: 500}, ok: true}, // read before delivered
			{set: Settlement{Attempt: 1, Kind: Sent, Level: 2, Cost: 500}, ok: false},
			{set: Settlement{Attempt: 1, Kind: Sent, Level: 3}, ok: false},
			{claim: true, ok: false},
		}, Sent, map[string]int64{"sent": 1, "delivered": 1, "read": 1, "cost": 500}},
		{"131049 waits for its retry, then a second attempt", []step{
			{claim: true, ok: true, attempt: 1},
			{set: Settlement{Attempt: 1, Kind: Retrying, Code: 131049, Due: t0.Add(24 * time.Hour)}, ok: true},
			{claim: true, at: 23 * time.Hour, ok: false},
			{claim: true, at: 24 * time.Hour, ok: true, attempt: 2},
			{set: Settlement{Attempt: 1, Kind: Sent, Level: 1}, ok: false}, // the old attempt's answer
			{set: Settlement{Attempt: 2, Kind: Sent, Level: 1}, ok: true},
		}, Sent, map[string]int64{"failed:131049": 1, "sent": 1}},
		{"a permanent failure is never claimed again", []step{
			{claim: true, ok: true, attempt: 1},
			{set: Settlement{Attempt: 1, Kind: Failed, Code: 131026}, ok: true},
			{claim: true, at: 100 * time.Hour, ok: false},
		}, Failed, map[string]int64{"failed:131026": 1}},
		{"a failed status after an accepted send", []step{
			{claim: true, ok: true, attempt: 1},
			{set: Settlement{Attempt: 1, Kind: Sent, Level: 1}, ok: true},
			{set: Settlement{Attempt: 1, Kind: Failed, Code: 131026}, ok: true},
		}, Failed, map[string]int64{"sent": 1, "failed:131026": 1, "failed_after_sent": 1}},
		{"a released claim is claimable again at once", []step{
			{claim: true, ok: true, attempt: 1},
			{set: Settlement{Attempt: 1, Kind: Pending}, ok: true},
			{claim: true, ok: true, attempt: 1},
		}, Claimed, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRedis(t)
			ctx := context.Background()
			addOne(t, s, c)
			for i, st := range tt.steps {
				at := t0.Add(st.at)
				if st.claim {
					attempt, err := s.Claim(ctx, c, "n1", "r1", at, time.Minute)
					if st.ok != (err == nil) || attempt != st.attempt {
						t.Fatalf("step %d: Claim = %d, %v; want ok %v, attempt %d", i, attempt, err, st.ok, st.attempt)
					}
					continue
				}
				set := st.set
				set.Contact, set.Number, set.At = c, "n1", at
				ok, err := s.Settle(ctx, set)
				if err != nil || ok != st.ok {
					t.Fatalf("step %d: Settle(%+v) = %v, %v; want %v", i, set, ok, err, st.ok)
				}
			}
			state, err := s.State(ctx, c)
			if err != nil || state.Kind != tt.kind {
				t.Fatalf("state = %+v, %v; want kind %c", state, err, tt.kind)
			}
			counters, err := s.Counters(ctx, "n1")
			if err != nil || !reflect.DeepEqual(counters, tt.counters) {
				t.Fatalf("counters = %v, %v; want %v", counters, err, tt.counters)
			}
		})
	}
}

func TestSweepReconcilesUnknownAttempts(t *testing.T) {
	s := newRedis(t)
	ctx := context.Background()
	const a, b = chat.ContactID("966500000001"), chat.ContactID("966500000002")
	addOne(t, s, a, b)
	for _, c := range []chat.ContactID{a, b} {
		if _, err := s.Claim(ctx, c, "n1", "dead-replica", t0, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	// The replica died: nothing settles. Before the lease ends, the sweep leaves them be.
	if n, err := s.Sweep(ctx, t0.Add(30*time.Second), 10*time.Minute, 100); err != nil || n != 0 {
		t.Fatalf("early Sweep = %d, %v; want 0", n, err)
	}
	if n, err := s.Sweep(ctx, t0.Add(2*time.Minute), 10*time.Minute, 100); err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2 unknown", n, err)
	}
	// a reached Meta: its status webhook arrives during the grace period.
	if ok, err := s.Settle(ctx, Settlement{Contact: a, Attempt: 1, Number: "n1", At: t0.Add(3 * time.Minute), Kind: Sent, Level: 2}); err != nil || !ok {
		t.Fatalf("status for the unknown attempt = %v, %v", ok, err)
	}
	if _, err := s.Claim(ctx, b, "n2", "r2", t0.Add(5*time.Minute), time.Minute); !errors.Is(err, ErrNotClaimed) {
		t.Fatalf("claiming an unknown attempt before its grace ended = %v; want ErrNotClaimed", err)
	}
	// b never reached Meta: after the grace period it is released and sent again.
	if n, err := s.Sweep(ctx, t0.Add(13*time.Minute), 10*time.Minute, 100); err != nil || n != 1 {
		t.Fatalf("second Sweep = %d, %v; want 1 released", n, err)
	}
	if attempt, err := s.Claim(ctx, b, "n2", "r2", t0.Add(14*time.Minute), time.Minute); err != nil || attempt != 1 {
		t.Fatalf("claim after release = %d, %v", attempt, err)
	}
	if st, _ := s.State(ctx, a); st.Kind != Sent {
		t.Fatalf("a is %+v; want sent", st)
	}
	counters, err := s.Counters(ctx, "n1")
	want := map[string]int64{"unknown": 0, "unknown_resolved": 1, "unknown_resent": 1, "sent": 1, "delivered": 1}
	if err != nil || !reflect.DeepEqual(counters, want) {
		t.Fatalf("counters = %v, %v; want %v", counters, err, want)
	}
	nums, err := s.Numbers(ctx)
	if err != nil || len(nums) != 2 {
		t.Fatalf("Numbers = %v, %v; want n1 and n2", nums, err)
	}
}

func TestNewRedisRejectsNamesThatBreakTheHashTag(t *testing.T) {
	for _, name := range []string{"", "a{b", "a}b", "a:b"} {
		if _, err := NewRedis(nil, "", name); err == nil {
			t.Errorf("NewRedis(%q) succeeded", name)
		}
	}
}
