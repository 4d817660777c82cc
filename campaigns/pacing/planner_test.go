package pacing

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

func pool(tier string, ids ...string) []Number {
	out := make([]Number, len(ids))
	for i, id := range ids {
		pf := "pf1"
		if strings.HasPrefix(id, "x") {
			pf = "pf2"
		}
		out[i] = Number{NumberRef: NumberRef{chat.NumberID(id), pf}, Tier: tier, Usable: true}
	}
	return out
}

func TestPlannerDecide(t *testing.T) {
	riyadh, _ := time.LoadLocation("Asia/Riyadh")
	noon := time.Date(2026, 3, 2, 12, 0, 0, 0, riyadh)
	cfg := Defaults()
	cfg.DayZone = riyadh
	cfg.Spread = false
	tests := []struct {
		name   string
		pool   []Number
		c      Candidate
		u      Usage
		now    time.Time
		number chat.NumberID
		counts bool
		wait   Wait
		at     time.Time
	}{
		{name: "the number with the most allowance", pool: pool("TIER_2K", "n1", "n2"),
			c: Candidate{Contact: "966500000001", Zone: riyadh}, u: Usage{SentToday: map[chat.NumberID]int{"n1": 30, "n2": 10}},
			now: noon, number: "n2", counts: true},
		{name: "an open window goes first and does not count", pool: pool("TIER_2K", "n1", "n2"),
			c: Candidate{Contact: "966500000001", Zone: riyadh, Windows: []Window{{"n1", noon.Add(time.Hour)}}},
			u: Usage{SentToday: map[chat.NumberID]int{"n1": 30, "n2": 10}}, now: noon, number: "n1"},
		{name: "a closed window is ignored", pool: pool("TIER_2K", "n1", "n2"),
			c: Candidate{Contact: "966500000001", Zone: riyadh, Windows: []Window{{"n1", noon}}},
			u: Usage{SentToday: map[chat.NumberID]int{"n1": 30, "n2": 10}}, now: noon, number: "n2", counts: true},
		{name: "quiet hours in the contact's zone", pool: pool("TIER_2K", "n1"),
			c: Candidate{Contact: "12025550123", Zone: mustZone("America/New_York")}, now: noon,
			wait: WaitHours, at: time.Date(2026, 3, 2, 9, 0, 0, 0, mustZone("America/New_York"))},
		{name: "every cap used: tomorrow", pool: pool("TIER_2K", "n1", "n2"),
			c: Candidate{Contact: "966500000001", Zone: riyadh}, u: Usage{SentToday: map[chat.NumberID]int{"n1": 50, "n2": 50}},
			now: noon, wait: WaitDailyCap, at: time.Date(2026, 3, 3, 0, 0, 0, 0, riyadh)},
		{name: "the portfolio is full: rotation adds nothing", pool: pool("TIER_250", "n1", "n2"),
			c:   Candidate{Contact: "966500000001", Zone: riyadh},
			u:   Usage{Reached: map[string]int{"pf1": 250}, FreesAt: map[string]time.Time{"pf1": noon.Add(3 * time.Hour)}},
			now: noon, wait: WaitPortfolio, at: noon.Add(3 * time.Hour)},
		{name: "another portfolio adds room", pool: pool("TIER_250", "n1", "x2"),
			c:   Candidate{Contact: "966500000001", Zone: riyadh},
			u:   Usage{Reached: map[string]int{"pf1": 250}, FreesAt: map[string]time.Time{"pf1": noon.Add(3 * time.Hour)}},
			now: noon, number: "x2", counts: true},
		{name: "no usable number", pool: func() []Number { p := pool("TIER_2K", "n1"); p[0].Usable = false; return p }(),
			c: Candidate{Contact: "966500000001", Zone: riyadh}, now: noon, wait: WaitNoNumber, at: noon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewPlanner(cfg, tt.pool)
			if err != nil {
				t.Fatal(err)
			}
			d := p.Decide(tt.now, tt.c, tt.u)
			if d.Number != tt.number || d.Counts != tt.counts || d.Wait != tt.wait || (tt.number == "" && !d.At.Equal(tt.at)) {
				t.Fatalf("Decide = %+v (at %v); want number %q, counts %v, wait %v at %v", d, d.At, tt.number, tt.counts, tt.wait, tt.at)
			}
		})
	}
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestNewPlannerErrors(t *testing.T) {
	cfg := Defaults()
	noPortfolio := pool("TIER_2K", "n1")
	noPortfolio[0].Portfolio = ""
	twoTiers := append(pool("TIER_2K", "n1"), pool("TIER_10K", "n2")...)
	tests := []struct {
		name string
		pool []Number
		want string
	}{
		{"unknown tier", pool("TIER_3K", "n1"), `tier "TIER_3K" is unknown`},
		{"no portfolio", noPortfolio, "names no portfolio"},
		{"two tiers in one portfolio", twoTiers, "has two tiers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPlanner(cfg, tt.pool); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewPlanner = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// run plays a campaign over audience contacts in virtual time with the planner and
// state given, sending whatever Next allows, and returns the sends per number per day.
// It is the shape of the issue-12 simulator: the clock jumps to the next moment a
// decision names.
func run(t *testing.T, p *Planner, st State, clk *clock.Manual, audience []Candidate, until time.Time) map[string]map[chat.NumberID]int {
	t.Helper()
	ctx := context.Background()
	sent := map[string]map[chat.NumberID]int{}
	pending := audience
	for len(pending) > 0 && clk.Now().Before(until) {
		now := clk.Now()
		u, err := st.Usage(ctx, p.Day(now), p.Refs(), now, p.cfg.ReachWindow)
		if err != nil {
			t.Fatal(err)
		}
		d, _, g, err := p.Next(ctx, st, now, pending[0], u)
		if err != nil {
			t.Fatal(err)
		}
		if d.Number == "" {
			if !d.At.After(now) {
				t.Fatalf("decision at %v waits for %v (%v): the clock would not move", now, d.At, d.Wait)
			}
			clk.Set(d.At)
			continue
		}
		if !g.OK {
			t.Fatalf("Next returned number %s without a grant", d.Number)
		}
		day := p.Day(now)
		if sent[day] == nil {
			sent[day] = map[chat.NumberID]int{}
		}
		sent[day][d.Number]++
		pending = pending[1:]
		clk.Advance(time.Second)
	}
	return sent
}

func candidates(n int) []Candidate {
	riyadh := mustZone("Asia/Riyadh")
	out := make([]Candidate, n)
	for i := range out {
		out[i] = Candidate{Contact: chat.ContactID(fmt.Sprintf("9665%08d", i)), Zone: riyadh}
	}
	return out
}

func TestVirtualCampaignFollowsTheRampAndTheSharedLimit(t *testing.T) {
	riyadh := mustZone("Asia/Riyadh")
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, riyadh)
	cfg := Defaults()
	cfg.DayZone = riyadh
	cfg.Ramp.Steps = []int{100, 200, 400}
	for name, newState := range states(t) {
		t.Run(name, func(t *testing.T) {
			// Two numbers on the first step: 100 each a day; the portfolio's 250 lets
			// both send their 100 on day one.
			p, err := NewPlanner(cfg, pool("TIER_250", "n1", "n2"))
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewManual(start)
			sent := run(t, p, newState(), clk, candidates(600), start.Add(3*24*time.Hour))
			want := map[string]map[chat.NumberID]int{
				"2026-03-01": {"n1": 100, "n2": 100},
				"2026-03-02": {"n1": 100, "n2": 100},
				"2026-03-03": {"n1": 100, "n2": 100},
			}
			if fmt.Sprint(sent) != fmt.Sprint(want) {
				t.Fatalf("sends per day:\n got %v\nwant %v", sent, want)
			}
			// Step 2 (200 a day each) meets the portfolio's 250 unique contacts a day.
			clean := Warmup{Step: 1}
			pl := pool("TIER_250", "n1", "n2")
			pl[0].Warmup, pl[1].Warmup = clean, clean
			p, err = NewPlanner(cfg, pl)
			if err != nil {
				t.Fatal(err)
			}
			clk = clock.NewManual(start)
			sent = run(t, p, newState(), clk, candidates(600), start.Add(2*24*time.Hour))
			for day, byNumber := range sent {
				total := byNumber["n1"] + byNumber["n2"]
				if total > 250 {
					t.Errorf("%s: %d unique contacts from one portfolio; the limit is 250", day, total)
				}
				if byNumber["n1"] > 200 || byNumber["n2"] > 200 {
					t.Errorf("%s: %v; a number's cap is 200", day, byNumber)
				}
			}
			if day1 := sent["2026-03-01"]; day1["n1"]+day1["n2"] != 250 {
				t.Errorf("day 1 sent %v; want the portfolio's 250 split between the numbers", day1)
			}
		})
	}
}

func TestVirtualCampaignSpreadsAndKeepsQuietHours(t *testing.T) {
	riyadh := mustZone("Asia/Riyadh")
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, riyadh)
	cfg := Defaults()
	cfg.DayZone = riyadh
	p, err := NewPlanner(cfg, pool("TIER_2K", "n1"))
	if err != nil {
		t.Fatal(err)
	}
	st := NewMemoryState()
	clk := clock.NewManual(start)
	ctx := context.Background()
	var times []time.Time
	for _, c := range candidates(50) {
		for {
			now := clk.Now()
			u, _ := st.Usage(ctx, p.Day(now), p.Refs(), now, cfg.ReachWindow)
			d, _, _, err := p.Next(ctx, st, now, c, u)
			if err != nil {
				t.Fatal(err)
			}
			if d.Number != "" {
				times = append(times, now)
				break
			}
			clk.Set(d.At)
		}
	}
	first, last := times[0].In(riyadh), times[len(times)-1].In(riyadh)
	if first.Hour() != 9 || first.Minute() != 0 {
		t.Errorf("first send at %v; want 09:00, when the sending hours open", first)
	}
	// 50 a day spread over 10 hours: one every 12 minutes, the 50th at 18:48.
	if want := time.Date(2026, 3, 1, 18, 48, 0, 0, riyadh); !last.Equal(want) {
		t.Errorf("last send at %v; want %v", last, want)
	}
}

func TestPlannerCapFollowsTheHealthAllowance(t *testing.T) {
	p, err := NewPlanner(Defaults(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		step      int
		allowance float64
		want      int
	}{
		{"no allowance set is the full cap", 3, 0, 400},
		{"half", 3, 0.5, 200},
		{"never below one", 0, 0.01, 1},
		{"past the last capped step, a share of it", 10, 0.25, 6400},
		{"past the last capped step, full: no cap", 10, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Number{Warmup: Warmup{Step: tt.step}, Allowance: tt.allowance}
			if got := p.Cap(n, t0); got != tt.want {
				t.Errorf("cap %d; want %d", got, tt.want)
			}
		})
	}
}
