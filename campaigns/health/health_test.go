package health

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

func counts(kv map[Signal]int) Counts {
	var c Counts
	for s, n := range kv {
		c[s] = n
	}
	return c
}

func TestScore(t *testing.T) {
	w := DefaultWeights()
	clean := counts(map[Signal]int{Sent: 1000, Delivered: 980, Read: 500, Replied: 100})
	tests := []struct {
		name     string
		days     []Counts
		meta     MetaStatus
		min, max float64
	}{
		{name: "nothing sent is the base", days: nil, min: 90, max: 90},
		{name: "read and answered earns the engagement", days: []Counts{clean}, min: 97, max: 100},
		{name: "2% blocks today costs about 40 points",
			days: []Counts{counts(map[Signal]int{Sent: 1000, Block: 20})}, min: 45, max: 55},
		{name: "blocks today against clean days before weigh fully",
			days: []Counts{counts(map[Signal]int{Sent: 1000, Block: 20}), {}, {}, {}, {}, {}, counts(map[Signal]int{Sent: 1000})}, min: 50, max: 55},
		{name: "the same blocks six days ago weigh an eighth",
			days: []Counts{counts(map[Signal]int{Sent: 1000}), {}, {}, {}, {}, {}, counts(map[Signal]int{Sent: 1000, Block: 20})}, min: 84, max: 87},
		{name: "131049 is no signal: a day of fatigue failures is clean",
			days: []Counts{counts(map[Signal]int{Sent: 1000})}, min: 90, max: 90},
		{name: "a few sends cannot swing it", days: []Counts{counts(map[Signal]int{Sent: 3, Block: 1})}, min: 75, max: 80},
		{name: "yellow caps at 60", days: []Counts{clean}, meta: MetaStatus{Rating: Yellow}, min: 60, max: 60},
		{name: "red caps at 25", days: []Counts{clean}, meta: MetaStatus{Rating: Red}, min: 25, max: 25},
		{name: "cannot send is 0", days: []Counts{clean}, meta: MetaStatus{CannotSend: true}, min: 0, max: 0},
		{name: "an eighth day is ignored",
			days: []Counts{{}, {}, {}, {}, {}, {}, {}, counts(map[Signal]int{Sent: 100, Block: 100})}, min: 90, max: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.Compute(tt.days, tt.meta)
			if got.Value < tt.min || got.Value > tt.max {
				t.Errorf("score %.1f (%v); want %.0f..%.0f", got.Value, got.Parts, tt.min, tt.max)
			}
		})
	}
	if _, ok := FailureSignal(131049); ok {
		t.Error("131049 counted as a quality signal")
	}
	for code, want := range map[int]Signal{131026: Undeliverable, 131048: SpamLimit, 131031: Restricted, 368: Restricted, 131050: OptOut} {
		if got, ok := FailureSignal(code); !ok || got != want {
			t.Errorf("FailureSignal(%d) = %v, %v; want %v", code, got, ok, want)
		}
	}
}

func TestPhrases(t *testing.T) {
	p := NewPhrases(DefaultPhrases())
	tests := []struct{ text, want string }{
		{"Who gave you my number?!", "who gave you my number"},
		{"مُزْعِج جداً", "مزعج"},
		{"لا تُرسل لي", "لا ترسل"},
		{"SPAM", "spam"},
		{"spamming is bad", ""}, // whole words only
		{"thanks, interested", ""},
		{"Don't message me again", "don t message me"},
	}
	for _, tt := range tests {
		if got := p.Match(tt.text); got != tt.want {
			t.Errorf("Match(%q) = %q; want %q", tt.text, got, tt.want)
		}
	}
}

func TestStoreContract(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory": func(*testing.T) Store { return NewMemoryStore() },
		"redis": func(t *testing.T) Store {
			srv := redistest.Start(t)
			if srv == nil {
				t.Skip("no redis-server")
			}
			return NewRedisStore(srv.Client(t), "t")
		},
	}
	ctx := context.Background()
	now := time.Date(2026, 3, 8, 1, 0, 0, 0, time.UTC)
	days := Window(now, time.UTC)
	if days[0] != "2026-03-08" || days[6] != "2026-03-02" {
		t.Fatalf("window %v", days)
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			n := chat.NumberID("966500000001")
			for _, op := range []struct {
				day string
				sig Signal
				n   int
			}{{days[0], Sent, 10}, {days[0], Sent, 5}, {days[0], Block, 1}, {days[2], OptOut, 2}, {"2026-02-20", Sent, 99}} {
				if err := s.Add(ctx, n, op.day, op.sig, op.n); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Days(ctx, n, days)
			if err != nil {
				t.Fatal(err)
			}
			if got[0][Sent] != 15 || got[0][Block] != 1 || got[2][OptOut] != 2 || got[1] != (Counts{}) {
				t.Errorf("days %v", got)
			}
			if err := s.Add(ctx, n, days[0], numSignals, 1); err == nil {
				t.Error("an unknown signal was counted")
			}
			m, err := s.Meta(ctx, n)
			if err != nil || m != (MetaStatus{}) {
				t.Fatalf("meta before any: %v %v", m, err)
			}
			want := MetaStatus{Rating: Red, Flagged: true, Reason: "quality"}
			if err := s.SetMeta(ctx, n, want); err != nil {
				t.Fatal(err)
			}
			if m, err := s.Meta(ctx, n); err != nil || m != want {
				t.Errorf("meta %v %v; want %v", m, err, want)
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	type step struct {
		day   string
		score float64
		meta  MetaStatus
		state State
		allow float64
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"healthy stays active", []step{{"d1", 95, MetaStatus{}, Active, 1}}},
		{"slowed in proportion", []step{{"d1", 60, MetaStatus{}, Slowed, 0.60}, {"d2", 79, MetaStatus{}, Slowed, 0.95}, {"d3", 85, MetaStatus{}, Active, 1}}},
		{"a wobble of the score is no change", []step{{"d1", 60, MetaStatus{}, Slowed, 0.60}, {"d1", 62, MetaStatus{}, Slowed, 0.60}, {"d1", 66, MetaStatus{}, Slowed, 0.70}}},
		{"stopped under 40", []step{{"d1", 30, MetaStatus{}, Stopped, 0}}},
		{"red stops", []step{{"d1", 90, MetaStatus{Rating: Red}, Stopped, 0}}},
		{"resume after two clean days, not twice the same day", []step{
			{"d1", 20, MetaStatus{}, Stopped, 0}, {"d2", 75, MetaStatus{}, Stopped, 0}, {"d2", 75, MetaStatus{}, Stopped, 0},
			{"d3", 60, MetaStatus{}, Stopped, 0}, {"d4", 75, MetaStatus{}, Stopped, 0}, {"d5", 80, MetaStatus{}, Active, 1}}},
		{"red days are not clean", []step{{"d1", 20, MetaStatus{}, Stopped, 0}, {"d2", 90, MetaStatus{Rating: Red}, Stopped, 0}, {"d3", 90, MetaStatus{}, Stopped, 0}}},
		{"cannot send retires for good", []step{{"d1", 90, MetaStatus{CannotSend: true}, Retired, 0}, {"d2", 99, MetaStatus{}, Retired, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStanding()
			for i, st := range tt.steps {
				s, _ = p.Evaluate(s, Score{Value: st.score}, st.meta, st.day)
				if s.State != st.state || s.Allowance != st.allow {
					t.Fatalf("step %d: %+v; want %s at %.2f", i, s, st.state, st.allow)
				}
			}
		})
	}
}

func TestStopLoss(t *testing.T) {
	l := DefaultStopLoss()
	if r := l.Check(counts(map[Signal]int{Sent: 100, OptOut: 50})); r != "" {
		t.Errorf("stopped under MinSends: %s", r)
	}
	if r := l.Check(counts(map[Signal]int{Sent: 1000, OptOut: 31})); r == "" {
		t.Error("3.1% opt-outs passed")
	}
	if r := l.Check(counts(map[Signal]int{Sent: 1000, SpamLimit: 60, Undeliverable: 41})); r == "" {
		t.Error("10.1% failures passed")
	}
	if r := l.Check(counts(map[Signal]int{Sent: 1000, OptOut: 30, Undeliverable: 100})); r != "" {
		t.Errorf("at the thresholds: %s", r)
	}
}

func TestWebhookSigns(t *testing.T) {
	var got Event
	w := Webhook{Secret: []byte("s3cret")}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !hmac.Equal([]byte(r.Header.Get("X-Wasla-Signature-256")), []byte(w.Sign(body))) {
			rw.WriteHeader(http.StatusForbidden)
			return
		}
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	w.URL = srv.URL
	e := Event{Number: "n1", From: Active, To: Stopped, Reason: "red"}
	if err := w.Emit(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if got.To != Stopped || got.Number != "n1" {
		t.Errorf("received %+v", got)
	}
	bad := Webhook{URL: srv.URL, Secret: []byte("wrong")}
	if err := bad.Emit(context.Background(), e); err == nil {
		t.Error("a refused post was no error")
	}
}
