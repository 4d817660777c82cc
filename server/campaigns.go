package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/store"
)

// Campaigns is the campaign loop (campaigns/runner.Runner): it runs until ctx is done,
// and settles the campaign attempts that status webhooks name.
type Campaigns interface {
	Run(ctx context.Context)
	ApplyStatus(ctx context.Context, st runner.Status) (bool, error)
	PauseTemplate(ctx context.Context, name, why string) (int, error)
}

// pauseTemplate pauses the campaigns of a template Meta paused or disabled.
func (s *Server) pauseTemplate(ctx context.Context, ev *whatsapp.TemplateStatus) error {
	if s.d.Campaigns == nil || (ev.Event != "PAUSED" && ev.Event != "DISABLED") {
		return nil
	}
	why := fmt.Sprintf("Meta %s the template %s (%s)", strings.ToLower(ev.Event), ev.Name, ev.Language)
	if ev.Reason != "" && ev.Reason != "NONE" {
		why += ": " + ev.Reason
	}
	n, err := s.d.Campaigns.PauseTemplate(ctx, ev.Name, why)
	if err != nil {
		return fmt.Errorf("pausing the campaigns of template %s: %w", ev.Name, err)
	}
	if n > 0 {
		s.log.Warn("campaigns paused", slog.Int("count", n), slog.String("reason", why))
	}
	return nil
}

// campaignStatus hands a status webhook that carries a campaign's callback data to the
// campaign loop, which settles the attempt: this is how an attempt whose answer was lost
// (a replica killed during the request) is reconciled.
func (s *Server) campaignStatus(ctx context.Context, st *whatsapp.Status) error {
	if s.d.Campaigns == nil || st.CallbackData == "" {
		return nil
	}
	cs := runner.Status{CallbackData: st.CallbackData, WAMID: st.MessageID, Number: st.Number, At: st.At}
	switch st.Status {
	case whatsapp.StatusSent:
		cs.Level = 1
	case whatsapp.StatusDelivered:
		cs.Level = 2
	case whatsapp.StatusRead:
		cs.Level = 3
	case whatsapp.StatusFailed:
		cs.Code = -2 // a failure without an error code: permanent
		if len(st.Errors) > 0 {
			cs.Code = st.Errors[0].Code
		}
	default:
		return nil
	}
	if _, err := s.d.Campaigns.ApplyStatus(ctx, cs); err != nil {
		return fmt.Errorf("settling a campaign status: %w", err)
	}
	return nil
}

// campaignNumbers answers the runner from the configuration and the registry's states.
type campaignNumbers struct {
	cfg   *config.Config
	reg   *numbers.Registry
	clock clock.Clock
}

func (n campaignNumbers) Number(id chat.NumberID) (runner.NumberInfo, bool) {
	for _, c := range n.cfg.Numbers {
		if chat.NumberID(c.ID) != id {
			continue
		}
		usable := true
		if st, ok := n.reg.States()[id]; ok {
			// Campaigns start conversations: a replies-only number (Meta's
			// RESTRICTED_BIZ_INITIATED_MESSAGING) may answer but sends no campaign.
			usable = st.CanInitiate(n.clock.Now())
		}
		return runner.NumberInfo{Portfolio: c.Portfolio, Throughput: c.Throughput, Usable: usable}, true
	}
	return runner.NumberInfo{}, false
}

// storeOptOuts reads the contact-level opt-out: a STOP on any number opts the contact out
// of every campaign.
type storeOptOuts struct{ st *store.Redis }

func (o storeOptOuts) OptedOut(ctx context.Context, id chat.ContactID) (bool, error) {
	c, err := o.st.Load(ctx, id)
	if err != nil {
		return false, err
	}
	return c != nil && c.Contact.OptedOut, nil
}

// importOptOuts answers the audience import, a batch at a time.
type importOptOuts struct{ storeOptOuts }

// OptedOut reports, for each contact, whether it opted out.
func (o importOptOuts) OptedOut(ctx context.Context, ids []chat.ContactID) ([]bool, error) {
	out := make([]bool, len(ids))
	for i, id := range ids {
		v, err := o.storeOptOuts.OptedOut(ctx, id)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "wasla"
	}
	return h
}
