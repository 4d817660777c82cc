package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/store"
)

// Campaigns is the campaign loop (campaigns/runner.Runner): it runs until ctx is done,
// and settles the campaign attempts that status webhooks name.
type Campaigns interface {
	Run(ctx context.Context)
	ApplyStatus(ctx context.Context, st runner.Status) (bool, error)
	PauseTemplate(ctx context.Context, name, why string) (int, error)
	// CategoryChanged pauses the campaigns of a template whose category is no longer the
	// one they planned.
	CategoryChanged(ctx context.Context, name, category string) (int, error)
	// Inbound counts a contact's message as a reply to the campaigns that sent to it.
	Inbound(ctx context.Context, contact chat.ContactID, number chat.NumberID, at time.Time) error
	// NoteOptOut counts an opt-out against a number's day, for its warm-up.
	NoteOptOut(ctx context.Context, number chat.NumberID, at time.Time) error
	// Replies names the started campaign that sends from number, with its replies policy
	// and flow; ok is false when none does. It answers from memory.
	Replies(number chat.NumberID) (campaign, policy, flow string, ok bool)
}

// campaignOf returns the campaign a reply to number answers: a started campaign file's
// that sends from the number, else the configuration's (numbers[].campaign).
func (s *Server) campaignOf(number chat.NumberID) string {
	if s.d.Campaigns != nil {
		if name, _, _, ok := s.d.Campaigns.Replies(number); ok {
			return name
		}
	}
	if s.d.Numbers != nil {
		return s.d.Numbers.Campaign(number)
	}
	return ""
}

// replyPolicies answers the router with the started campaign files' replies.policy; the
// runner is set once it is built (after the engine that holds the router).
type replyPolicies struct{ r Campaigns }

func (p *replyPolicies) policy(number chat.NumberID) (numbers.Policy, bool) {
	if p.r == nil {
		return "", false
	}
	_, policy, _, ok := p.r.Replies(number)
	if !ok || policy == "" {
		return "", false
	}
	return numbers.Policy(policy), true
}

// campaignReplies counts the acknowledged inbound messages as replies to campaigns
// (once per campaign and contact). It runs after the messages are recorded: a failure
// answers 500, Meta delivers the POST again, the intake drops the repeats and the count
// is idempotent.
func (s *Server) campaignReplies(ctx context.Context, msgs []chat.Inbound) error {
	if s.d.Campaigns == nil {
		return nil
	}
	for _, in := range msgs {
		at := in.At
		if at.IsZero() {
			at = s.d.Clock.Now()
		}
		if err := s.d.Campaigns.Inbound(ctx, in.Contact, in.Number, at); err != nil {
			return fmt.Errorf("counting campaign replies: %w", err)
		}
	}
	return nil
}

// campaignOptOut counts Meta's marketing stop against the number's day: opt-outs make a
// warm-up day dirty.
func (s *Server) campaignOptOut(ctx context.Context, ev *whatsapp.UserPreference, out bool) error {
	if s.d.Campaigns == nil || !out || ev.Number == "" {
		return nil
	}
	at := ev.At
	if at.IsZero() {
		at = s.d.Clock.Now()
	}
	if err := s.d.Campaigns.NoteOptOut(ctx, ev.Number, at); err != nil {
		return fmt.Errorf("counting an opt-out against number %s: %w", ev.Number, err)
	}
	return nil
}

// optOutWatch wraps an intake transaction so that an opt-out it commits (a STOP word on
// a number) counts against that number's day for its warm-up judgement. The commit has
// happened by then: a failure to count is logged, never turned into a failed commit.
type optOutWatch struct {
	engine.Tx
	s      *Server
	number chat.NumberID
}

func (w *optOutWatch) Commit(ctx context.Context, st *engine.State, history []chat.Event) error {
	if err := w.Tx.Commit(ctx, st, history); err != nil {
		return err
	}
	for _, ev := range history {
		if ev.Kind != chat.EventOptOut {
			continue
		}
		number, at := cmp.Or(ev.Number, w.number), ev.At
		if at.IsZero() {
			at = w.s.d.Clock.Now()
		}
		if err := w.s.d.Campaigns.NoteOptOut(ctx, number, at); err != nil {
			w.s.log.Warn("an opt-out was not counted against the number's warm-up day", slog.String("number", string(number)), slog.Any("error", err))
		}
	}
	return nil
}

// campaignPacing turns the configuration's pacing section into the runner's base pacing:
// pacing.Defaults() with each key the file sets.
func campaignPacing(cfg *config.Config) (pacing.Config, error) {
	out := pacing.Defaults()
	p := cfg.Pacing
	if p.Ramp != nil {
		out.Ramp.Steps = p.Ramp
	}
	for tier, n := range p.Tiers {
		out.Tiers[tier] = n
	}
	out.DefaultTier = p.DefaultTier
	if p.Canary.Share != nil {
		out.Canary.Share = *p.Canary.Share
	}
	if p.Canary.Min != nil {
		out.Canary.Min = *p.Canary.Min
	}
	if p.Canary.Max != nil {
		out.Canary.Max = *p.Canary.Max
	}
	if p.Canary.Pause != nil {
		out.Canary.Pause = *p.Canary.Pause
	}
	if p.HoursSet {
		out.Hours = p.Hours
	}
	if p.Zone != "" {
		z, err := time.LoadLocation(p.Zone)
		if err != nil {
			return out, fmt.Errorf("pacing.zone: %w", err)
		}
		out.DayZone, out.DefaultZone = z, z
	}
	if p.PairRate > 0 {
		out.PairGap = p.PairRate
	}
	if err := out.Ramp.Validate(); err != nil {
		return out, fmt.Errorf("pacing.ramp: %w", err)
	}
	return out, nil
}

// campaignRates turns the configuration's rate table into prices; nil without one.
func campaignRates(cfg *config.Config) (*outcome.Rates, error) {
	if len(cfg.Rates.Prices) == 0 {
		return nil, nil
	}
	out := &outcome.Rates{Currency: cfg.Rates.Currency, ByCategory: map[string]map[string]outcome.Micro{}}
	for cat, byMarket := range cfg.Rates.Prices {
		m := make(map[string]outcome.Micro, len(byMarket))
		for market, text := range byMarket {
			price, err := outcome.ParseMicro(text)
			if err != nil {
				return nil, fmt.Errorf("rates.prices.%s.%s: %w", cat, market, err)
			}
			m[market] = price
		}
		out.ByCategory[cat] = m
	}
	return out, nil
}

// pauseTemplate pauses the campaigns of a template Meta paused or disabled, and those
// that planned another category than the one the status names.
func (s *Server) pauseTemplate(ctx context.Context, ev *whatsapp.TemplateStatus) error {
	if s.d.Campaigns == nil {
		return nil
	}
	if ev.Event != "PAUSED" && ev.Event != "DISABLED" {
		return s.categoryChanged(ctx, ev.Name, ev.Category)
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

// templateCategory handles a template_category_update: a completed change pauses the
// campaigns that planned another category; an impending one is logged (Meta's routing
// guide: act on completed changes only).
func (s *Server) templateCategory(ctx context.Context, ev *whatsapp.TemplateCategory) error {
	if ev.Impending() {
		s.log.Warn("template category will change", slog.String("template", ev.Name), slog.String("language", ev.Language),
			slog.String("from", ev.NewCategory), slog.String("to", ev.CorrectCategory), slog.Time("at", ev.UpdateAt))
		return nil
	}
	s.log.Warn("template category changed", slog.String("template", ev.Name), slog.String("language", ev.Language),
		slog.String("from", ev.PreviousCategory), slog.String("to", ev.NewCategory))
	if s.d.Campaigns == nil {
		return nil
	}
	return s.categoryChanged(ctx, ev.Name, ev.NewCategory)
}

func (s *Server) categoryChanged(ctx context.Context, name, category string) error {
	n, err := s.d.Campaigns.CategoryChanged(ctx, name, category)
	if err != nil {
		return fmt.Errorf("pausing the campaigns of template %s after a category change: %w", name, err)
	}
	if n > 0 {
		s.log.Warn("campaigns paused: template category changed", slog.Int("count", n), slog.String("template", name), slog.String("category", category))
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
	if p := st.Pricing; p != nil {
		cs.Pricing = &runner.Pricing{Category: p.Category, Billable: p.Billable == nil || *p.Billable, PricingModel: p.PricingModel, Type: p.Type}
	}
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
		// Acknowledged to Meta already: this status is lost, so the runner holds its
		// sends and its sweep until statuses are recorded again.
		s.d.WebhookHealth.Failed("a campaign status could not be recorded: " + err.Error())
		return fmt.Errorf("settling a campaign status: %w", err)
	}
	s.d.WebhookHealth.Recorded()
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
		return runner.NumberInfo{Portfolio: c.Portfolio, Throughput: c.Throughput, Usable: usable, Ramp: c.Ramp}, true
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

// storeProfiles reads the opt-outs and windows of a page of recipients for the runner, in
// one round trip.
type storeProfiles struct{ st *store.Redis }

func (w storeProfiles) States(ctx context.Context, ids []chat.ContactID) ([]runner.ContactState, error) {
	profiles, err := w.st.Profiles(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]runner.ContactState, len(ids))
	for i, p := range profiles {
		if p != nil {
			out[i] = runner.ContactState{OptedOut: p.OptedOut, Windows: p.Windows}
		}
	}
	return out, nil
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
