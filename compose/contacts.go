package compose

import (
	"context"

	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/store"
)

// CampaignContacts walks the contact store for a campaign whose audience is chosen by
// expression (runner.StoredContacts): the store's bucket-by-bucket walk of contact ids,
// and one pipelined read of the profiles per batch, so memory holds one batch.
type CampaignContacts struct{ Store *store.Redis }

var _ runner.StoredContacts = CampaignContacts{}

// Scan implements runner.StoredContacts.
func (c CampaignContacts) Scan(ctx context.Context, batch int, fn func([]runner.StoredContact) error) error {
	if batch <= 0 {
		batch = 500
	}
	ids := make([]chat.ContactID, 0, batch)
	out := make([]runner.StoredContact, 0, batch)
	flush := func() error {
		profiles, err := c.Store.Profiles(ctx, ids)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, p := range profiles {
			if p != nil {
				out = append(out, storedContact(p))
			}
		}
		ids = ids[:0]
		if len(out) == 0 {
			return nil
		}
		return fn(out)
	}
	err := c.Store.Contacts(ctx, func(id chat.ContactID) error {
		ids = append(ids, id)
		if len(ids) == batch {
			return flush()
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return err
	}
	return flush()
}

// storedContact is what the audience expression sees of a profile: LastSeen is the latest
// time the contact wrote to any number.
func storedContact(p *contact.Contact) runner.StoredContact {
	sc := runner.StoredContact{ID: p.ID, Name: p.Name, Language: p.Language, Tags: p.Tags, Attrs: p.Attrs, OptedOut: p.OptedOut}
	for _, at := range p.Windows {
		if at.After(sc.LastSeen) {
			sc.LastSeen = at
		}
	}
	return sc
}
