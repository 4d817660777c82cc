package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

func TestResolveContact(t *testing.T) {
	s, _, _ := miniStore(t, Options{})
	ctx := t.Context()
	// 15551234567 wrote with both ids once: its profile carries the user id.
	known := &contact.State{Contact: contact.Contact{ID: "15551234567", UserID: "US.1"}}
	if err := s.Commit(ctx, known, nil); err != nil {
		t.Fatal(err)
	}
	// US.2 was first seen without a phone number: it is keyed by its user id.
	hidden := &contact.State{Contact: contact.Contact{ID: "US.2", UserID: "US.2"}}
	if err := s.Commit(ctx, hidden, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		waID, userID string
		want         chat.ContactID
		wantErr      bool
	}{
		{"phone number only", "15550000001", "", "15550000001", false},
		{"both, unknown user id", "15550000002", "US.9", "15550000002", false},
		{"user id only, unknown", "", "US.9", "US.9", false},
		{"user id only, known by phone number", "", "US.1", "15551234567", false},
		{"both, known by phone number", "15551234567", "US.1", "15551234567", false},
		{"phone number shows up for a contact keyed by user id", "15559999999", "US.2", "US.2", false},
		{"neither", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ResolveContact(ctx, tt.waID, tt.userID)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ResolveContact(%q, %q) = %q, %v; want %q (error %v)", tt.waID, tt.userID, got, err, tt.want, tt.wantErr)
			}
		})
	}
	// The same cases in one batch (the webhook's way) give the same answers.
	var waIDs, userIDs []string
	var want []chat.ContactID
	for _, tt := range tests {
		if !tt.wantErr {
			waIDs, userIDs, want = append(waIDs, tt.waID), append(userIDs, tt.userID), append(want, tt.want)
		}
	}
	got, err := s.ResolveContacts(ctx, waIDs, userIDs)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ResolveContacts = %q, %v; want %q", got, err, want)
	}
	if _, err := s.ResolveContacts(ctx, []string{"1", ""}, []string{"", ""}); err == nil {
		t.Error("a batch holding a message with neither id gave no error")
	}
}

func TestContactsListsEveryCommittedContact(t *testing.T) {
	s, _, _ := miniStore(t, Options{})
	ctx := t.Context()
	var want []string
	for i := range 3000 { // several SSCAN pages in some buckets
		id := chat.ContactID(fmt.Sprintf("1555%07d", i))
		if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: id}}, nil); err != nil {
			t.Fatal(err)
		}
		want = append(want, string(id))
	}
	// A second commit does not list a contact twice.
	if err := s.Commit(ctx, &contact.State{Contact: contact.Contact{ID: "15550000000"}, Version: 1}, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := s.Contacts(ctx, func(id chat.ContactID) error { got = append(got, string(id)); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Contacts listed %d ids, want %d", len(got), len(want))
	}
	stop := errors.New("stop")
	n := 0
	err := s.Contacts(ctx, func(chat.ContactID) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("Contacts = %v after %d calls, want the callback's error after 1", err, n)
	}
}
