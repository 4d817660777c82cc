package runner

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
)

// Import reads the campaign's audience from r into Redis (streaming; running it again
// adds nothing twice), then records the campaign as running with its file's source, so
// every replica's runner picks it up. optOuts may be nil.
func Import(ctx context.Context, ctl *Control, camp *campaignfile.Campaign, source []byte, r io.Reader, optOuts audience.OptOuts, now time.Time) (*audience.Report, error) {
	aud, err := ctl.Audience(camp.Name)
	if err != nil {
		return nil, err
	}
	opts, err := importOptions(camp, optOuts)
	if err != nil {
		return nil, err
	}
	rep, err := audience.Import(ctx, r, aud, opts)
	if err != nil {
		return rep, fmt.Errorf("importing the audience of campaign %s: %w", camp.Name, err)
	}
	return rep, ctl.Save(ctx, camp, source, now)
}

// importOptions are the audience import's options for a campaign.
func importOptions(camp *campaignfile.Campaign, optOuts audience.OptOuts) (audience.Options, error) {
	phones, err := audience.NewPhones(camp.Audience.DefaultCountry)
	if err != nil {
		return audience.Options{}, err
	}
	col := camp.Audience.PhoneColumn
	if col == "" {
		col = "phone"
	}
	return audience.Options{PhoneColumn: col, Phones: phones, Marketing: camp.Template.Marketing, OptOuts: optOuts}, nil
}
