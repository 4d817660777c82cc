package compose

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/store"
)

// TestCampaignContactsScansEveryContact walks 1,001 stored contacts in batches of 100:
// each comes once, with its tags, attributes and the latest of its windows as last seen.
func TestCampaignContactsScansEveryContact(t *testing.T) {
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
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 1001 {
		c := contact.Contact{ID: chat.ContactID(fmt.Sprintf("9665%08d", i)), Tags: []string{"t"}, Attrs: map[string]string{"i": fmt.Sprint(i)},
			Windows: map[chat.NumberID]time.Time{"1": at, "2": at.Add(time.Duration(i) * time.Minute)}}
		if err := st.Commit(ctx, &contact.State{Contact: c}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	largest := 0
	err = CampaignContacts{Store: st}.Scan(ctx, 100, func(batch []runner.StoredContact) error {
		largest = max(largest, len(batch))
		for _, c := range batch {
			var i int
			fmt.Sscan(c.Attrs["i"], &i)
			if !c.LastSeen.Equal(at.Add(time.Duration(i)*time.Minute)) || len(c.Tags) != 1 {
				t.Errorf("contact %s: %+v", c.ID, c)
			}
			seen = append(seen, string(c.ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(seen)
	if n := len(seen); n != 1001 || len(slices.Compact(seen)) != n || largest > 100 {
		t.Fatalf("%d contacts seen, batches of at most %d; want 1001 once each, batches of at most 100", len(seen), largest)
	}
}
