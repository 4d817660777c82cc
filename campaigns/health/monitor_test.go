package health

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/normalize"
)

// liveStores are the shared stores the server runs on: real redis-server and miniredis.
func liveStores() map[string]func(t *testing.T) *RedisStore {
	return map[string]func(t *testing.T) *RedisStore{
		"redis-server": func(t *testing.T) *RedisStore {
			srv := redistest.Start(t)
			if srv == nil {
				t.Skip("no redis-server")
			}
			return NewRedisStore(srv.Client(t), "t")
		},
		"miniredis": func(t *testing.T) *RedisStore {
			mr := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: mr.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			return NewRedisStore(c, "t")
		},
	}
}

type recordSink struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recordSink) Emit(_ context.Context, e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
	return nil
}

func TestReplySignals(t *testing.T) {
	m := &Monitor{Phrases: NewPhrases(DefaultPhrases()), OptOutWords: func() []string { return []string{normalize.Text("STOP"), normalize.Text("إلغاء")} }}
	tests := []struct {
		text string
		want []Signal
	}{
		{"", []Signal{Replied}},
		{"شكرا، متى يفتح الفرع؟", []Signal{Replied}},
		{"stop", []Signal{Replied, OptOut}},
		{"الغاء", []Signal{Replied, OptOut}}, // folded: إ and ا are one letter
		{"please stop spamming me", []Signal{Replied, Negative}},
		{"مين انت؟", []Signal{Replied, Negative}},
	}
	for _, tt := range tests {
		got := m.ReplySignals(tt.text)
		if len(got) != len(tt.want) || got[len(got)-1] != tt.want[len(tt.want)-1] {
			t.Errorf("%q: %v, want %v", tt.text, got, tt.want)
		}
	}
}

// Two monitors on one store are two replicas: what one judged, the other goes on from;
// a number that turns bad is stopped, one event reported, and not reported again.
func TestMonitorJudgesAcrossReplicas(t *testing.T) {
	for name, newStore := range liveStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t)
			clk := clock.NewManual(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC))
			sink := &recordSink{}
			mk := func() *Monitor {
				return &Monitor{Store: st, Standings: st, Weights: DefaultWeights(), Policy: DefaultPolicy(), Sink: sink, Clock: clk}
			}
			a, b := mk(), mk()
			good, bad := chat.NumberID("100"), chat.NumberID("200")
			for range 1000 {
				for _, n := range []chat.NumberID{good, bad} {
					if err := a.Count(ctx, n, Sent, time.Time{}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 40 { // 4 % blocks: 100 points lost
				if err := b.Count(ctx, bad, Block, clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
			js, err := a.JudgeAll(ctx, map[chat.NumberID]MetaStatus{}, []chat.NumberID{good, bad})
			if err != nil {
				t.Fatal(err)
			}
			if js[0].Standing.State != Active || js[1].Standing.State != Stopped || js[1].Today[Block] != 40 {
				t.Fatalf("judgements %+v", js)
			}
			if _, err := b.Judge(ctx, bad, MetaStatus{}); err != nil {
				t.Fatal(err)
			}
			if len(sink.evs) != 1 || sink.evs[0].Number != string(bad) || sink.evs[0].To != Stopped {
				t.Fatalf("events %+v", sink.evs)
			}
			all, err := st.Standings(ctx)
			if err != nil || all[bad].State != Stopped || all[bad].Usable() {
				t.Fatalf("standings %+v %v", all, err)
			}
			// Meta says the good number cannot send: retired, at once.
			j, err := b.Judge(ctx, good, MetaStatus{CannotSend: true, Reason: "waba BLOCKED"})
			if err != nil || j.Standing.State != Retired || j.Score.Value != 0 {
				t.Fatalf("judge %+v %v", j, err)
			}
		})
	}
}

func TestLeaseOneHolderAtATime(t *testing.T) {
	for name, newStore := range liveStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t)
			ok, err := st.Lease(ctx, "a", time.Minute)
			if err != nil || !ok {
				t.Fatalf("a: %v %v", ok, err)
			}
			if ok, _ := st.Lease(ctx, "b", time.Minute); ok {
				t.Fatal("b took a lease a holds")
			}
			if ok, _ := st.Lease(ctx, "a", time.Minute); !ok {
				t.Fatal("a could not renew its lease")
			}
			if err := st.client.Del(ctx, st.leaseKey()).Err(); err != nil { // a died and it expired
				t.Fatal(err)
			}
			if ok, _ := st.Lease(ctx, "b", time.Minute); !ok {
				t.Fatal("b could not take a free lease")
			}
		})
	}
}

func TestMetaAll(t *testing.T) {
	ctx := context.Background()
	for name, newStore := range liveStores() {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			want := MetaStatus{Rating: Yellow, Limit: "TIER_2K", Throughput: "STANDARD", Checked: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)}
			if err := st.SetMeta(ctx, "1", want); err != nil {
				t.Fatal(err)
			}
			all, err := st.MetaAll(ctx)
			if err != nil || !all["1"].Checked.Equal(want.Checked) || all["1"].Limit != "TIER_2K" {
				t.Fatalf("%+v %v", all, err)
			}
		})
	}
	m := NewMemoryStore()
	_ = m.SetMeta(ctx, "1", MetaStatus{Rating: Red})
	if all, _ := m.MetaAll(ctx); all["1"].Rating != Red {
		t.Errorf("memory %+v", all)
	}
}

// A stopped number that resumes restarts its warm-up through the hook, on the policy's
// resume step, before its standing is saved: when the restart fails, the number stays
// stopped and the next judgement of the day resumes it again.
func TestMonitorRestartsTheWarmupOnResume(t *testing.T) {
	ctx := context.Background()
	st := NewMemoryStore()
	clk := clock.NewManual(time.Date(2026, 3, 8, 10, 0, 0, 0, time.UTC))
	if err := st.SetStanding(ctx, "n1", Standing{State: Stopped, Clean: 1, LastDay: "2026-03-07"}); err != nil {
		t.Fatal(err)
	}
	type call struct {
		step int
		day  string
	}
	var calls []call
	fail := true
	m := &Monitor{Store: st, Standings: st, Weights: DefaultWeights(), Policy: Policy{SlowBelow: 80, StopBelow: 40, MinAllowance: 0.25, ResumeAbove: 70, CleanDays: 2, ResumeStep: 1},
		Clock: clk, Restart: RestartFunc(func(_ context.Context, n chat.NumberID, step int, day string) error {
			calls = append(calls, call{step, day})
			if fail {
				return context.DeadlineExceeded
			}
			return nil
		})}
	j, err := m.Judge(ctx, "n1", MetaStatus{Rating: Green})
	if err == nil || j.Standing.State != Stopped || len(calls) != 1 {
		t.Fatalf("failed restart: %+v, %v, calls %v; want stopped and an error", j.Standing, err, calls)
	}
	all, _ := st.Standings(ctx)
	if all["n1"].State != Stopped || all["n1"].LastDay != "2026-03-07" {
		t.Fatalf("a failed restart saved %+v", all["n1"])
	}
	fail = false
	j, err = m.Judge(ctx, "n1", MetaStatus{Rating: Green})
	if err != nil || j.Standing.State != Active || len(calls) != 2 || calls[1] != (call{1, "2026-03-08"}) {
		t.Fatalf("restart: %+v, %v, calls %v; want active after Restart(step 1, 2026-03-08)", j.Standing, err, calls)
	}
	if _, err := m.Judge(ctx, "n1", MetaStatus{Rating: Green}); err != nil || len(calls) != 2 {
		t.Fatalf("an active number restarted again: calls %v, %v", calls, err)
	}
}

// One replica at a time judges a number: the lock is refused to another owner while
// held, and a release by a replica whose lock expired does not free another's.
func TestJudgeLock(t *testing.T) {
	for name, newStore := range liveStores() {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := newStore(t)
			release, ok, err := st.JudgeLock(ctx, "n1", "a", time.Minute)
			if err != nil || !ok {
				t.Fatalf("a: %v, %v", ok, err)
			}
			if _, ok, err := st.JudgeLock(ctx, "n1", "b", time.Minute); err != nil || ok {
				t.Fatalf("b took a held lock: %v, %v", ok, err)
			}
			if _, ok, _ := st.JudgeLock(ctx, "n2", "b", time.Minute); !ok {
				t.Fatal("another number's lock is refused")
			}
			release()
			releaseB, ok, err := st.JudgeLock(ctx, "n1", "b", time.Minute)
			if err != nil || !ok {
				t.Fatalf("b after the release: %v, %v", ok, err)
			}
			release() // a again: not its lock any more
			if _, ok, _ := st.JudgeLock(ctx, "n1", "c", time.Minute); ok {
				t.Fatal("a released b's lock")
			}
			releaseB()
		})
	}
}
