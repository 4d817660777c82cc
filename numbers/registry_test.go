package numbers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

const secretToken = "EAAG-super-secret-token"

var t0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func inbox() Number {
	return Number{ID: "1001", Display: "+966 55 000 0001", Role: RoleInbox, WABA: "w-inbox", Portfolio: "p1", Token: secretToken}
}

func campaign(id, display string) Number {
	return Number{ID: chat.NumberID(id), Display: display, Role: RoleCampaign, WABA: "w-camp", Portfolio: "p1", Token: secretToken, Campaign: "ramadan"}
}

func testList() []Number {
	return []Number{inbox(), campaign("2001", "+966 55 000 0002"), campaign("2002", "+966 55 000 0003")}
}

// newTestRegistry returns a registry over an in-memory store on a manual clock.
func newTestRegistry(t *testing.T, list []Number) (*Registry, *MemStates, *clock.Manual) {
	t.Helper()
	store := &MemStates{}
	clk := clock.NewManual(t0)
	r, err := New(list, store, WithClock(clk))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r, store, clk
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func([]Number) []Number
		want []string
	}{
		{"valid", func(l []Number) []Number { return l }, nil},
		{"no inbox", func(l []Number) []Number { return l[1:] },
			[]string{"numbers[-1].role: no inbox number: exactly one number must have role inbox"}},
		{"empty list", func([]Number) []Number { return nil },
			[]string{"numbers[-1].role: no inbox number: exactly one number must have role inbox"}},
		{"two inboxes", func(l []Number) []Number { l[2].Role, l[2].Campaign = RoleInbox, ""; return l },
			[]string{"numbers[2].role: a second inbox number; numbers[0] is the inbox, and there must be exactly one"}},
		{"duplicate id", func(l []Number) []Number { l[2].ID = "2001"; return l },
			[]string{"numbers[2].id: phone number id 2001 is already numbers[1]"}},
		{"missing id", func(l []Number) []Number { l[1].ID = ""; return l },
			[]string{"numbers[1].id: missing phone number id"}},
		{"duplicate display", func(l []Number) []Number { l[2].Display = "966-55-000-0002"; return l },
			[]string{"numbers[2].display: display number 966-55-000-0002 is already numbers[1]"}},
		{"missing display", func(l []Number) []Number { l[0].Display = "+"; return l },
			[]string{"numbers[0].display: missing display number (the number users see, such as +966 55 123 4567)"}},
		{"unknown role", func(l []Number) []Number { l[1].Role = "marketing"; return l },
			[]string{`numbers[1].role: unknown role "marketing": want inbox or campaign`}},
		{"missing role", func(l []Number) []Number { l[1].Role = ""; return l },
			[]string{"numbers[1].role: missing role: want inbox or campaign"}},
		{"unknown policy", func(l []Number) []Number { l[1].Policy = "forward"; return l },
			[]string{`numbers[1].policy: unknown policy "forward": want link, bridge or hold`}},
		{"policy on inbox", func(l []Number) []Number { l[0].Policy = PolicyHold; return l },
			[]string{"numbers[0].policy: a routing policy applies to campaign numbers, not to the inbox"}},
		{"campaign on inbox", func(l []Number) []Number { l[0].Campaign = "x"; return l },
			[]string{"numbers[0].campaign: the inbox number sends no campaign; campaign belongs on campaign numbers"}},
		{"missing token", func(l []Number) []Number { l[2].Token = ""; return l },
			[]string{"numbers[2].token: missing access token"}},
		{"negative throughput", func(l []Number) []Number { l[1].Throughput = -5; return l },
			[]string{"numbers[1].throughput: throughput -5 is negative"}},
		{"every problem at once", func(l []Number) []Number { l[1].Token = ""; l[2].Role = "x"; return l },
			[]string{"numbers[1].token: missing access token", `numbers[2].role: unknown role "x": want inbox or campaign`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.edit(testList()), &MemStates{})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New: got %v, want a *ConfigError", err)
			}
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestNewDefaultsThroughputAndCopiesList(t *testing.T) {
	list := testList()
	list[2].Throughput = 250
	r, _, _ := newTestRegistry(t, list)
	list[0].Display = "changed"
	if got := r.Inbox().Display; got != "+966 55 000 0001" {
		t.Errorf("inbox display changed with the caller's slice: %q", got)
	}
	if got := r.Throughput("2001"); got != DefaultThroughput {
		t.Errorf("Throughput(2001) = %d, want %d", got, DefaultThroughput)
	}
	if got := r.Throughput("2002"); got != 250 {
		t.Errorf("Throughput(2002) = %d, want 250", got)
	}
	if _, err := New(testList(), nil); err == nil {
		t.Error("New without a store: no error")
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		edit func([]Number)
		want []string
	}{
		{"own account and portfolio", func(l []Number) { l[0].WABA, l[0].Portfolio = "w-inbox", "p-inbox" }, nil},
		{"shared portfolio", func(l []Number) { l[2].Portfolio = "p2" }, []string{
			"numbers[1].portfolio: campaign number 2001 shares portfolio p1 with the inbox number: they share one messaging limit, and campaigns can use up the inbox's",
		}},
		{"shared account", func(l []Number) { l[0].Portfolio = ""; l[1].WABA = "w-inbox" }, []string{
			"numbers[1].waba: campaign number 2001 shares WhatsApp Business Account w-inbox with the inbox number: a restriction for its campaigns would stop the inbox too; give the inbox its own account",
		}},
		{"no account id", func(l []Number) { l[0].Portfolio = ""; l[2].WABA = "" }, []string{
			"numbers[2].waba: no WhatsApp Business Account id: account_update webhooks (restrictions, bans) cannot reach this number",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testList()
			tt.edit(l)
			r, _, _ := newTestRegistry(t, l)
			var got []string
			for _, p := range r.Warnings() {
				got = append(got, p.String())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLookups(t *testing.T) {
	r, _, _ := newTestRegistry(t, testList())
	if got := r.Inbox().ID; got != "1001" {
		t.Errorf("Inbox = %s", got)
	}
	if n, ok := r.Lookup("2002"); !ok || n.Display != "+966 55 000 0003" {
		t.Errorf("Lookup(2002) = %v, %v", n, ok)
	}
	if _, ok := r.Lookup("9"); ok {
		t.Error("Lookup(9) found a number")
	}
	if n, ok := r.ByDisplay("966550000002"); !ok || n.ID != "2001" {
		t.Errorf("ByDisplay = %v, %v", n, ok)
	}
	if got := len(r.Numbers()); got != 3 {
		t.Errorf("Numbers: %d", got)
	}
	st := r.State("2001")
	if st.Quality != QualityUnknown || st.Status != StatusActive || !r.Usable("2001", t0) {
		t.Errorf("fresh state = %+v", st)
	}
	if r.Usable("9", t0) {
		t.Error("an unknown number is usable")
	}
}

// The token never shows, however a Number or its Secret is printed, logged or encoded.
func TestSecretsRedacted(t *testing.T) {
	n := inbox()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("number", "n", n, "token", n.Token)
	log.Info("text", "n", n.Token)
	js, _ := json.Marshal(n)
	r, _, _ := newTestRegistry(t, testList())
	outs := map[string]string{
		"%v":     fmt.Sprintf("%v", n),
		"%+v":    fmt.Sprintf("%+v", n),
		"%#v":    fmt.Sprintf("%#v", n),
		"%s":     fmt.Sprintf("%s", n),
		"tok %v": fmt.Sprintf("%v", n.Token),
		"tok %q": fmt.Sprintf("%q", n.Token),
		"tok %#": fmt.Sprintf("%#v", n.Token),
		"slog":   logs.String(),
		"json":   string(js),
		"list":   fmt.Sprintf("%v %+v", r.Numbers(), r.Numbers()),
	}
	for how, out := range outs {
		if strings.Contains(out, secretToken) || strings.Contains(out, "super-secret") {
			t.Errorf("%s shows the token: %s", how, out)
		}
	}
	if !strings.Contains(outs["%#v"], `Token:numbers.Secret("[redacted]")`) {
		t.Errorf("%%#v = %s", outs["%#v"])
	}
	if string(n.Token) != secretToken {
		t.Error("string(Token) must give the value")
	}
}

func TestMarkRestricted(t *testing.T) {
	ctx := context.Background()
	r, store, clk := newTestRegistry(t, testList())
	if err := r.MarkRestricted(ctx, "2001", "send error 131048"); err != nil {
		t.Fatal(err)
	}
	st := r.State("2001")
	if st.Status != StatusRestricted || st.Reason != "send error 131048" || !st.Until.Equal(t0.Add(time.Hour)) {
		t.Fatalf("state = %+v", st)
	}
	if r.Usable("2001", t0) {
		t.Error("usable right after MarkRestricted")
	}
	if !r.Usable("2001", t0.Add(time.Hour)) {
		t.Error("still unusable after the restrict-for period")
	}
	if ids := store.IDs(); len(ids) != 1 || ids[0] != "2001" {
		t.Errorf("stored ids = %v", ids)
	}
	// A restriction already longer is kept.
	longer := t0.Add(7 * 24 * time.Hour)
	mustSet(t, store, "2002", State{Quality: QualityGreen, Status: StatusRestricted, Since: t0, Until: longer})
	if err := r.MarkRestricted(ctx, "2002", "send error 368"); err != nil {
		t.Fatal(err)
	}
	if st := r.State("2002"); !st.Until.Equal(longer) || st.Quality != QualityGreen {
		t.Errorf("longer restriction replaced: %+v", st)
	}
	// A ban is kept.
	mustSet(t, store, "1001", State{Status: StatusBanned, Since: t0})
	if err := r.MarkRestricted(ctx, "1001", "x"); err != nil {
		t.Fatal(err)
	}
	if st := r.State("1001"); st.Status != StatusBanned {
		t.Errorf("ban replaced: %+v", st)
	}
	clk.Advance(time.Minute)
	if err := r.MarkActive(ctx, "1001", "appeal granted"); err != nil {
		t.Fatal(err)
	}
	if st := r.State("1001"); st.Status != StatusActive || st.Reason != "appeal granted" || !r.Usable("1001", clk.Now()) {
		t.Errorf("after MarkActive: %+v", st)
	}
	if err := r.MarkRestricted(ctx, "9", "x"); !errors.Is(err, ErrUnknownNumber) {
		t.Errorf("unknown number: %v", err)
	}
}

func TestRestrictForOption(t *testing.T) {
	r, err := New(testList(), &MemStates{}, WithClock(clock.NewManual(t0)), WithRestrictFor(5*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.MarkRestricted(context.Background(), "2001", "x"); err != nil {
		t.Fatal(err)
	}
	if st := r.State("2001"); !st.Until.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("until = %v", st.Until)
	}
}

// Two replicas share one store: what one marks, the other sees after Refresh, and a
// writer merges over the stored state rather than its own stale snapshot.
func TestRefreshSharesStateBetweenReplicas(t *testing.T) {
	ctx := context.Background()
	store := &MemStates{}
	clk := clock.NewManual(t0)
	a, err := New(testList(), store, WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(testList(), store, WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.MarkRestricted(ctx, "2001", "from a"); err != nil {
		t.Fatal(err)
	}
	if !b.Usable("2001", t0) {
		t.Fatal("b changed without a refresh")
	}
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if b.Usable("2001", t0) || b.State("2001").Reason != "from a" {
		t.Errorf("b after refresh: %+v", b.State("2001"))
	}
	// b flags quality on 2001 without losing a's restriction.
	if _, err := b.Apply(ctx, quality("966550000002", "FLAGGED", t0)); err != nil {
		t.Fatal(err)
	}
	if st := b.State("2001"); st.Status != StatusRestricted || st.Quality != QualityRed {
		t.Errorf("merged state = %+v", st)
	}
}

type failingStore struct{ MemStates }

func (f *failingStore) Get(context.Context, chat.NumberID) ([]byte, error) {
	return nil, errors.New("redis down")
}

func TestRefreshErrorKeepsSnapshot(t *testing.T) {
	store := &failingStore{}
	r, err := New(testList(), store, WithClock(clock.NewManual(t0)))
	if err != nil {
		t.Fatal(err)
	}
	err = r.Refresh(context.Background())
	if err == nil || !strings.Contains(err.Error(), "loading state of number 1001: redis down") {
		t.Fatalf("Refresh = %v", err)
	}
	if !r.Usable("1001", t0) {
		t.Error("snapshot lost")
	}
	if err := r.MarkRestricted(context.Background(), "1001", "x"); err == nil {
		t.Error("MarkRestricted with a failing store: no error")
	}
	if !r.Usable("1001", t0) {
		t.Error("snapshot changed although the store failed")
	}
}

func TestRefreshRejectsCorruptState(t *testing.T) {
	r, store, _ := newTestRegistry(t, testList())
	_ = store.Set(context.Background(), "2002", []byte("{not json"))
	if err := r.Refresh(context.Background()); err == nil || !strings.Contains(err.Error(), "decoding state of number 2002") {
		t.Errorf("Refresh = %v", err)
	}
}

func mustSet(t *testing.T, s StateStore, id chat.NumberID, st State) {
	t.Helper()
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(context.Background(), id, data); err != nil {
		t.Fatal(err)
	}
}
