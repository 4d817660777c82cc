package server

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/store"
)

// TestCampaignOptOutIsTheContacts checks what the campaign runner asks at send time: a
// STOP on any number sets the contact's own opt-out, so every campaign skips it.
func TestCampaignOptOutIsTheContacts(t *testing.T) {
	ctx := context.Background()
	client, stop, err := store.Embedded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	st, err := store.New(client, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := importOptOuts{storeOptOuts{st}}
	const who = chat.ContactID("966500000001")
	got, err := o.OptedOut(ctx, []chat.ContactID{who, "966500000002"})
	if err != nil || got[0] || got[1] {
		t.Fatalf("before STOP: %v, %v", got, err)
	}
	state, err := st.Load(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	// The engine's STOP handling, on whichever number the contact wrote to.
	state.Contact.OptedOut, state.Contact.OptedOutAt = true, time.Now()
	if err := st.Commit(ctx, state, []chat.Event{{Kind: chat.EventOptOut, Contact: who, Number: "1002", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	got, err = o.OptedOut(ctx, []chat.ContactID{who, "966500000002"})
	if err != nil || !got[0] || got[1] {
		t.Fatalf("after STOP: %v, %v; want [true false]", got, err)
	}
}

// TestWebhookHealthFollowsTheIntake: a POST answered 500 marks webhooks failing (the
// campaign runner holds its sends); the next recorded POST marks them recovered.
func TestWebhookHealthFollowsTheIntake(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	r := newRig(t, func(d *Deps) { d.Clock = clk })
	r.intake.pushErr = errors.New("redis down")
	body := sample(t, "text.json")
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 500 {
		t.Fatalf("POST with the intake down = %d", code)
	}
	failing, recovered, why := r.srv.d.WebhookHealth.IntakeState()
	if failing.IsZero() || !recovered.IsZero() || !strings.Contains(why, "redis down") {
		t.Fatalf("after a failed POST: failing %v, recovered %v, why %q", failing, recovered, why)
	}
	r.intake.pushErr = nil
	body2 := bytes.ReplaceAll(body, []byte("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="), []byte("wamid.second"))
	if code, _ := r.post(t, body2, whatsapp.Sign(secret, body2)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	if failing, _, _ := r.srv.d.WebhookHealth.IntakeState(); failing.IsZero() {
		t.Fatal("recovered at once after a failure; want WebhookSettle without one first")
	}
	clk.Advance(WebhookSettle)
	body3 := bytes.ReplaceAll(body, []byte("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="), []byte("wamid.third"))
	if code, _ := r.post(t, body3, whatsapp.Sign(secret, body3)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	if failing, recovered, _ := r.srv.d.WebhookHealth.IntakeState(); !failing.IsZero() || !recovered.Equal(clk.Now()) {
		t.Fatalf("after a recorded POST past the settle time: failing %v, recovered %v", failing, recovered)
	}
}

// fakeCampaigns records what the server hands the campaign runner.
type fakeCampaigns struct {
	mu         sync.Mutex
	categories []string
	inbound    []chat.ContactID
	optOuts    []chat.NumberID
	statuses   []runner.Status
}

func (f *fakeCampaigns) Run(context.Context) {}
func (f *fakeCampaigns) ApplyStatus(_ context.Context, st runner.Status) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statuses = append(f.statuses, st)
	return true, nil
}
func (f *fakeCampaigns) PauseTemplate(context.Context, string, string) (int, error) { return 0, nil }
func (f *fakeCampaigns) CategoryChanged(_ context.Context, name, category string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.categories = append(f.categories, name+" "+category)
	return 1, nil
}
func (f *fakeCampaigns) Inbound(_ context.Context, id chat.ContactID, _ chat.NumberID, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inbound = append(f.inbound, id)
	return nil
}
func (f *fakeCampaigns) NoteOptOut(_ context.Context, n chat.NumberID, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.optOuts = append(f.optOuts, n)
	return nil
}
func (f *fakeCampaigns) Replies(chat.NumberID) (string, string, string, bool) {
	return "", "", "", false
}

// TestWebhooksReachTheCampaignRunner posts Meta's webhooks and checks what reaches the
// runner: a completed template category change (the impending one is only logged), an
// inbound message (a possible reply), and a status's pricing block.
func TestWebhooksReachTheCampaignRunner(t *testing.T) {
	fc := &fakeCampaigns{}
	r := newRig(t, func(d *Deps) { d.Campaigns = fc })
	for _, name := range []string{"template_category_update.json", "text.json", "status_delivered_read.json"} {
		body := bytes.ReplaceAll(sample(t, name), []byte(`"status": "delivered",`),
			[]byte(`"status": "delivered", "biz_opaque_callback_data": "wasla:c1:offer:966500000001:1",`))
		if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
			t.Fatalf("POST %s = %d", name, code)
		}
	}
	r.srv.drainStatuses(context.Background())
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if len(fc.categories) != 1 || fc.categories[0] != "ramadan_offer MARKETING" {
		t.Errorf("category changes %q; want the completed one only", fc.categories)
	}
	if len(fc.inbound) != 1 {
		t.Errorf("inbound %v; want one", fc.inbound)
	}
	priced := 0
	for _, st := range fc.statuses {
		if st.Pricing != nil && st.Pricing.Category != "" {
			priced++
		}
	}
	if len(fc.statuses) != 1 || priced != 1 || fc.statuses[0].Level != 2 || !fc.statuses[0].Pricing.Billable {
		t.Errorf("statuses %+v; want the delivered one with its pricing block", fc.statuses)
	}
}

// TestCampaignPacingFromConfig turns the configuration's pacing section and rate table
// into the runner's base pacing and prices; what the file leaves out keeps the defaults.
func TestCampaignPacingFromConfig(t *testing.T) {
	cfg := buildConfig(t, `  - {id: "1", display: "+966 50 000 0001", role: inbox, waba: "10", token: t}
pacing:
  ramp: [10, 20, 0]
  default_tier: TIER_2K
  canary: {share: 5%}
  zone: Asia/Riyadh
rates:
  currency: USD
  prices: {marketing: {SA: "0.0456"}}
`)
	p, err := campaignPacing(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Ramp.Steps) != 3 || p.DefaultTier != "TIER_2K" || p.Canary.Share != 0.05 || p.Canary.Max != 500 ||
		p.DayZone.String() != "Asia/Riyadh" || p.PairGap != 6*time.Second || p.Hours != "daily 09:00-21:00" {
		t.Errorf("pacing %+v", p)
	}
	rates, err := campaignRates(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if price, ok := rates.Price("MARKETING", true, "966500000001"); !ok || price != 45_600 || rates.Currency != "USD" {
		t.Errorf("price %v, %v, currency %s", price, ok, rates.Currency)
	}
}

type committingTx struct{ engine.Tx }

func (committingTx) Commit(context.Context, *engine.State, []chat.Event) error { return nil }

// TestOptOutWordsCountForTheWarmup: an opt-out the engine commits through an intake
// transaction (a STOP word) counts against the number it came to.
func TestOptOutWordsCountForTheWarmup(t *testing.T) {
	fc := &fakeCampaigns{}
	r := newRig(t, func(d *Deps) { d.Campaigns = fc })
	tx := &optOutWatch{Tx: committingTx{}, s: r.srv, number: "1002"}
	err := tx.Commit(context.Background(), &engine.State{}, []chat.Event{
		{Kind: chat.EventInbound}, {Kind: chat.EventOptOut, At: time.Now()},
	})
	if err != nil || len(fc.optOuts) != 1 || fc.optOuts[0] != "1002" {
		t.Fatalf("Commit = %v; opt-outs counted %v, want [1002]", err, fc.optOuts)
	}
}
