package server

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/numbers"
)

// The published sample payloads of the whatsapp package, translated by the server, drive
// the number registry end to end.
func TestNumberEventsFromRealPayloads(t *testing.T) {
	read := func(name string) []whatsapp.Event {
		data, err := os.ReadFile(filepath.Join("..", "channels", "whatsapp", "testdata", "webhooks", name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := whatsapp.ParseWebhook(data)
		if err != nil {
			t.Fatal(err)
		}
		return b.Events
	}
	list := []numbers.Number{
		{ID: "106540352242922", Display: "+1 555-078-3881", Role: numbers.RoleInbox, WABA: "w-own", Token: "t"},
		{ID: "2001", Display: "+1 650 555 1111", Role: numbers.RoleCampaign, WABA: "102290129340398", Token: "t"},
	}
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	r, err := numbers.New(list, &numbers.MemStates{}, numbers.WithClock(clock.NewManual(t0)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ev := range read("phone_number_quality_update.json") {
		if err := (registry{r: r, clock: clock.NewManual(t0)}).Apply(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if st := r.State("2001"); st.Quality != numbers.QualityRed || st.Status != numbers.StatusFlagged {
		t.Errorf("campaign after quality payloads: %+v", st)
	}
	if st := r.State("106540352242922"); st.Throughput != 1000 || st.Limit != "TIER_2K" {
		t.Errorf("inbox after quality payloads: %+v", st)
	}
	for _, ev := range read("account_update.json") {
		if err := (registry{r: r, clock: clock.NewManual(t0)}).Apply(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if r.Usable("2001", t0) {
		t.Errorf("campaign still usable after the account payloads: %+v", r.State("2001"))
	}
	if st := r.State("2001"); st.Status != numbers.StatusBanned {
		t.Errorf("campaign after account payloads: %+v", st)
	}
	// ACCOUNT_OFFBOARDED names the inbox's display number.
	if st := r.State("106540352242922"); st.Status != numbers.StatusBanned || st.Reason != "account_update ACCOUNT_OFFBOARDED" {
		t.Errorf("inbox after account payloads: %+v", st)
	}
}
