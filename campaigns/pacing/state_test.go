package pacing

import (
	"context"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

func chatID(s string) chat.ContactID { return chat.ContactID(s) }

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// states returns the implementations the contract tests run against.
func states(t *testing.T) map[string]func() State {
	return map[string]func() State{
		"memory": func() State { return NewMemoryState() },
		"redis": func() State {
			srv := redistest.Start(t)
			if srv == nil {
				t.Skip("no redis-server")
			}
			return NewRedisState(srv.Client(t), "t")
		},
	}
}

// op is one call of a state contract scenario.
type op struct {
	number  chat.NumberID
	contact string
	at      time.Duration // after t0
	counts  bool
	release bool // release the previous op's reservation instead
	ok      bool
	wait    Wait
	retry   time.Duration // after t0, for refusals that name a time
}

func TestStateContract(t *testing.T) {
	pf := "pf1"
	tests := []struct {
		name string
		cap  int
		gap  time.Duration
		lim  int
		ops  []op
		// usage at the end, at t0+usageAt
		usageAt         time.Duration
		sentN1, reached int
		freesAt, lastAt time.Duration
	}{
		{"the daily cap", 2, 0, 0, []op{
			{number: "n1", contact: "a", ok: true},
			{number: "n1", contact: "b", ok: true},
			{number: "n1", contact: "c", wait: WaitDailyCap},
			{number: "n2", contact: "c", ok: true},
		}, 0, 2, 0, 0, 0},
		{"spacing", 0, time.Minute, 0, []op{
			{number: "n1", contact: "a", ok: true},
			{number: "n1", contact: "b", at: 30 * time.Second, wait: WaitSpacing, retry: time.Minute},
			{number: "n1", contact: "b", at: time.Minute, ok: true},
		}, time.Minute, 2, 0, 0, time.Minute},
		{"the portfolio's limit is shared by its numbers", 0, 0, 2, []op{
			{number: "n1", contact: "a", counts: true, ok: true},
			{number: "n2", contact: "b", at: time.Hour, counts: true, ok: true},
			{number: "n2", contact: "c", at: 2 * time.Hour, counts: true, wait: WaitPortfolio, retry: 24 * time.Hour},
			{number: "n1", contact: "a", at: 3 * time.Hour, counts: true, ok: true},  // a again: not a new unique contact
			{number: "n1", contact: "c", at: 4 * time.Hour, counts: false, ok: true}, // inside a window: does not count
		}, 4 * time.Hour, 3, 2, 25 * time.Hour, 4 * time.Hour},
		{"the rolling window frees room", 0, 0, 1, []op{
			{number: "n1", contact: "a", counts: true, ok: true},
			{number: "n1", contact: "b", at: 24*time.Hour - time.Millisecond, counts: true, wait: WaitPortfolio, retry: 24 * time.Hour},
			{number: "n1", contact: "b", at: 24 * time.Hour, counts: true, ok: true},
		}, 24 * time.Hour, 2, 1, 48 * time.Hour, 24 * time.Hour},
		{"release gives the day and the reach back", 1, 0, 1, []op{
			{number: "n1", contact: "a", counts: true, ok: true},
			{release: true},
			{number: "n1", contact: "b", counts: true, ok: true},
		}, 0, 1, 1, 24 * time.Hour, 0},
		{"the pair rate: one number writes to one contact once per 6 s", 0, 0, 0, []op{
			{number: "n1", contact: "a", ok: true},
			{number: "n1", contact: "a", at: 2 * time.Second, wait: WaitPair, retry: 6 * time.Second},
			{number: "n2", contact: "a", at: 2 * time.Second, ok: true},
			{number: "n1", contact: "b", at: 3 * time.Second, ok: true},
			{number: "n1", contact: "a", at: 6 * time.Second, ok: true},
		}, 6 * time.Second, 3, 0, 0, 6 * time.Second},
	}
	for name, newState := range states(t) {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				st := newState()
				ctx := context.Background()
				var last Reservation
				var lastGrant Grant
				for i, o := range tt.ops {
					if o.release {
						if err := st.Release(ctx, last, lastGrant); err != nil {
							t.Fatal(err)
						}
						continue
					}
					r := Reservation{NumberRef: NumberRef{o.number, pf}, Contact: chatID(o.contact), Day: "2026-03-01",
						DailyCap: tt.cap, Gap: tt.gap, Counts: o.counts, Limit: tt.lim, Window: 24 * time.Hour, PairGap: 6 * time.Second, At: t0.Add(o.at)}
					g, err := st.Reserve(ctx, r)
					if err != nil {
						t.Fatal(err)
					}
					if g.OK != o.ok || g.Wait != o.wait || (o.retry != 0 && !g.RetryAt.Equal(t0.Add(o.retry))) {
						t.Fatalf("op %d: Reserve = %+v; want ok %v, wait %v, retry at +%v", i, g, o.ok, o.wait, o.retry)
					}
					last, lastGrant = r, g
				}
				u, err := st.Usage(ctx, "2026-03-01", []NumberRef{{"n1", pf}, {"n2", pf}}, t0.Add(tt.usageAt), 24*time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				if u.SentToday["n1"] != tt.sentN1 || u.Reached[pf] != tt.reached {
					t.Fatalf("usage: n1 sent %d, reached %d; want %d, %d", u.SentToday["n1"], u.Reached[pf], tt.sentN1, tt.reached)
				}
				if tt.reached > 0 && !u.FreesAt[pf].Equal(t0.Add(tt.freesAt)) {
					t.Fatalf("usage: frees at %v; want +%v", u.FreesAt[pf], tt.freesAt)
				}
				if tt.sentN1 > 0 && !u.LastSend["n1"].Equal(t0.Add(tt.lastAt)) {
					t.Fatalf("usage: n1 last sent %v; want +%v", u.LastSend["n1"], tt.lastAt)
				}
			})
		}
	}
}
