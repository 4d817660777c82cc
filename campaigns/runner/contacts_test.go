package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// storedOf is a contact store of n contacts in batches of the size asked.
type storedOf []StoredContact

func (s storedOf) Scan(_ context.Context, batch int, fn func([]StoredContact) error) error {
	for i := 0; i < len(s); i += batch {
		if err := fn(s[i:min(i+batch, len(s))]); err != nil {
			return err
		}
	}
	return nil
}

const vipCampaign = `name: vip
template:
  name: offer
  language: '{{ contact.attrs.lang == "en" ? "en" : "ar" }}'
  params: ["{{ contact.name }}", "{{ contact.attrs.city }}"]
audience:
  csv: vip.csv
  default_country: SA
  contacts: '"vip" in contact.tags && session.last_inbound > now - duration("720h")'
numbers:
  - {id: "1002", tier: TIER_UNLIMITED}
`

// TestStartChoosesStoredContacts starts a campaign whose audience is a CSV plus the stored
// contacts its expression chooses (tag vip, seen in the last 30 days), over 1,200 stored
// contacts in batches: the chosen ones join the ledger once (one of them is in the CSV
// too), an opted-out one and a +1 one are left out and counted with the CSV's reasons,
// and the template's attributes travel with them.
func TestStartChoosesStoredContacts(t *testing.T) {
	srv := redistest.Start(t)
	if srv == nil {
		t.Skip("no redis-server")
	}
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vip.campaign.yaml"), []byte(vipCampaign), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "vip.csv"), []byte("phone,name,lang,city\n0500000001,csv one,ar,Jeddah\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stored storedOf
	for i := range 1200 {
		c := StoredContact{ID: chat.ContactID(fmt.Sprintf("9665%08d", i)), Name: fmt.Sprintf("s%d", i),
			Attrs: map[string]string{"city": "Riyadh", "lang": "en"}, LastSeen: now.Add(-time.Hour)}
		if i%100 == 0 {
			c.Tags = []string{"vip"} // 12 chosen: 0, 100, ..., 1100
		}
		if i == 200 {
			c.LastSeen = now.Add(-60 * 24 * time.Hour) // vip, but not seen for 60 days
		}
		stored = append(stored, c)
	}
	stored = append(stored,
		StoredContact{ID: "966500000001", Tags: []string{"vip"}, LastSeen: now},                 // the CSV's contact
		StoredContact{ID: "15551230000", Tags: []string{"vip"}, LastSeen: now},                  // +1: no marketing
		StoredContact{ID: "966511111111", Tags: []string{"vip"}, LastSeen: now},                 // opted out (OptOuts)
		StoredContact{ID: "966522222222", Tags: []string{"vip"}, LastSeen: now, OptedOut: true}) // opted out (the store's flag)
	ctl := NewControl(srv.Client(t), "t")
	res, diags, err := StartWith(ctx, ctl, filepath.Join(dir, "vip.campaign.yaml"),
		StartOptions{Contacts: stored, OptOuts: batchOptOuts{"966511111111": true}}, now)
	if diags != nil || err != nil {
		t.Fatal(diags, err)
	}
	c := res.Contacts
	if c == nil || c.Scanned != 1204 || c.Matched != 15 || c.Failed != 0 {
		t.Fatalf("contacts report %+v; want 1204 scanned, 15 matched", c)
	}
	// 1 from the CSV + 11 chosen (12 less the stale one); the CSV contact again is a
	// duplicate; +1 and the two opted-out ones are left out.
	if res.Added != 12 || res.SkippedBy(audience.Duplicate) != 1 || res.SkippedBy(audience.NoMarketing) != 1 || res.SkippedBy(audience.OptedOut) != 2 {
		t.Fatalf("report %+v", res.Report)
	}
	rec, err := ctl.Get(ctx, "vip")
	if err != nil || rec.State != StateRunning {
		t.Fatalf("record %+v, %v", rec, err)
	}
	aud, _ := ctl.Audience("vip")
	page, err := aud.Next(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := aud.Columns(ctx)
	for _, r := range page {
		if r.Contact == "966500000100" {
			got := map[string]string{}
			for i, col := range cols {
				got[col] = r.Attrs[i]
			}
			if got["name"] != "s100" || got["city"] != "Riyadh" || got["lang"] != "en" {
				t.Errorf("attributes of a chosen contact: %v (columns %v)", got, cols)
			}
			return
		}
	}
	t.Errorf("966500000100 is not in the audience")
}

type batchOptOuts map[chat.ContactID]bool

func (o batchOptOuts) OptedOut(_ context.Context, ids []chat.ContactID) ([]bool, error) {
	out := make([]bool, len(ids))
	for i, id := range ids {
		out[i] = o[id]
	}
	return out, nil
}
