package server

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
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
	r := newRig(t, nil)
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
	if code, _ := r.post(t, body, whatsapp.Sign(secret, body)); code != 200 {
		t.Fatalf("POST = %d", code)
	}
	if failing, recovered, _ := r.srv.d.WebhookHealth.IntakeState(); !failing.IsZero() || recovered.IsZero() {
		t.Fatalf("after a recorded POST: failing %v, recovered %v", failing, recovered)
	}
}
