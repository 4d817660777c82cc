package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/adminauth"
	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/runner"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/compose"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/numbers"
	numberspage "github.com/wasla/wasla/numbers/page"
	"github.com/wasla/wasla/store"
)

// NumberRow is one number at a glance: `wasla numbers`, GET /api/numbers and the admin
// numbers page (docs/numbers.openapi.yaml).
type NumberRow struct {
	ID        string `json:"id"`
	Display   string `json:"display"`
	Role      string `json:"role"`
	Account   string `json:"account"` // the WhatsApp Business Account
	Portfolio string `json:"portfolio,omitempty"`
	// Tier is the portfolio's messaging limit (TIER_2K, ...) as Meta last said it.
	Tier string `json:"tier,omitempty"`
	// WarmupDay is the number's step on its campaign warm-up ramp, from 1; 0: never sent a
	// campaign.
	WarmupDay int `json:"warmup_day"`
	// Score is the health score now, 0 to 100, and Parts what moved it.
	Score float64  `json:"score"`
	Parts []string `json:"score_parts,omitempty"`
	// Quality is Meta's rating (GREEN, YELLOW, RED, or UNKNOWN); CanSend false when Meta
	// says the number, its account or business cannot send.
	Quality string `json:"quality"`
	CanSend bool   `json:"can_send"`
	// Status is the registry's (active, flagged, restricted, banned); State the health
	// policy's (active, slowed, stopped, retired) with its Allowance and Reason.
	Status    string  `json:"status"`
	State     string  `json:"state"`
	Allowance float64 `json:"allowance"`
	Reason    string  `json:"reason,omitempty"`
	// ReasonCode and ReasonArgs are the policy's reason as a code and its values
	// (health.Reason*), for a page to say it in its own language; empty when the reason
	// is Meta's own words.
	ReasonCode string         `json:"reason_code,omitempty"`
	ReasonArgs map[string]any `json:"reason_args,omitempty"`
	// Throughput is the configured messages per second, and ThroughputLevel Meta's
	// (STANDARD, HIGH).
	Throughput      int    `json:"throughput"`
	ThroughputLevel string `json:"throughput_level,omitempty"`
	// Today are the day's counts: sends, and what came back.
	Today NumberDay `json:"today"`
	// Checked is when Meta was last asked (zero: never).
	Checked time.Time `json:"checked,omitzero"`
	// Campaigns are the campaigns that sent from the number, with its figures in each.
	Campaigns []NumberCampaign `json:"campaigns,omitempty"`
}

// NumberDay is one number's counts of the day.
type NumberDay struct {
	Sent      int `json:"sent"`
	Delivered int `json:"delivered"`
	Read      int `json:"read"`
	Replied   int `json:"replied"`
	OptedOut  int `json:"opted_out"`
	Failed    int `json:"failed"`
}

// NumberCampaign is a campaign's figures on one number.
type NumberCampaign struct {
	Name      string `json:"name"`
	State     string `json:"state"`
	Sent      int64  `json:"sent"`
	Delivered int64  `json:"delivered"`
	Read      int64  `json:"read"`
	Replied   int64  `json:"replied"`
	OptedOut  int64  `json:"opted_out"`
	Failed    int64  `json:"failed"`
}

// NumberLister gathers the rows from a deployment's Redis: the registry's states, the
// health buckets, standings and Meta's last word, the warm-up steps and the campaigns.
type NumberLister struct {
	Registry  *numbers.Registry
	Health    *health.RedisStore
	Weights   health.Weights
	Zone      *time.Location
	Warmups   pacing.Warmups
	Campaigns *runner.Control
	Config    *config.Config
	Clock     clock.Clock
}

// NewNumberLister returns the lister of a configuration's numbers on client; the CLI
// uses it without a running server.
func NewNumberLister(cfg *config.Config, client redis.UniversalClient, clk clock.Clock) (*NumberLister, error) {
	if clk == nil {
		clk = clock.Real{}
	}
	reg, err := compose.Numbers(cfg, numbers.NewRedisStates(client, store.DefaultPrefix), clk)
	if err != nil {
		return nil, err
	}
	zone, err := healthZone(cfg)
	if err != nil {
		return nil, err
	}
	return &NumberLister{Registry: reg, Health: health.NewRedisStore(client, store.DefaultPrefix), Weights: health.DefaultWeights(),
		Zone: zone, Warmups: pacing.NewRedisState(client, store.DefaultPrefix), Campaigns: runner.NewControl(client, store.DefaultPrefix),
		Config: cfg, Clock: clk}, nil
}

func healthZone(cfg *config.Config) (*time.Location, error) {
	zone, err := time.LoadLocation(cmp.Or(cfg.Health.Zone, "UTC"))
	if err != nil {
		return nil, fmt.Errorf("%s: health.zone: %w", cfg.File, err)
	}
	return zone, nil
}

// List returns every configured number, in the configuration's order.
func (l *NumberLister) List(ctx context.Context) ([]NumberRow, error) {
	if err := l.Registry.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("reading number states: %w", err)
	}
	now := l.Clock.Now()
	polled, err := l.Health.MetaAll(ctx)
	if err != nil {
		return nil, err
	}
	standings, err := l.Health.Standings(ctx)
	if err != nil {
		return nil, err
	}
	list := l.Registry.Numbers()
	ids := make([]chat.NumberID, len(list))
	for i, n := range list {
		ids[i] = n.ID
	}
	warm, err := l.Warmups.Load(ctx, ids)
	if err != nil {
		return nil, err
	}
	camps, err := l.campaigns(ctx)
	if err != nil {
		return nil, err
	}
	states := l.Registry.States()
	window := health.Window(now, l.Zone)
	rows := make([]NumberRow, 0, len(list))
	for _, n := range list {
		st := states[n.ID]
		meta := MergeMeta(polled[n.ID], st, now)
		days, err := l.Health.Days(ctx, n.ID, window)
		if err != nil {
			return nil, err
		}
		sc := l.Weights.Compute(days, meta)
		sd, ok := standings[n.ID]
		if !ok {
			sd = health.NewStanding()
		}
		t := days[0]
		row := NumberRow{ID: string(n.ID), Display: n.Display, Role: string(n.Role), Account: n.WABA, Portfolio: n.Portfolio,
			Tier: meta.Limit, Score: sc.Value, Parts: sc.Parts, Quality: cmp.Or(string(meta.Rating), string(numbers.QualityUnknown)),
			CanSend: !meta.CannotSend, Status: string(st.Current(now)), State: string(sd.State), Allowance: sd.Allowance, Reason: sd.Reason,
			ReasonCode: sd.ReasonCode, ReasonArgs: sd.ReasonArgs,
			Throughput: l.Registry.Throughput(n.ID), ThroughputLevel: meta.Throughput, Checked: meta.Checked,
			Today: NumberDay{Sent: t[health.Sent], Delivered: t[health.Delivered], Read: t[health.Read], Replied: t[health.Replied],
				OptedOut: t[health.OptOut], Failed: t[health.Undeliverable] + t[health.SpamLimit] + t[health.Restricted]},
			Campaigns: camps[n.ID]}
		if row.Status == "" {
			row.Status = string(numbers.StatusActive)
		}
		if row.Reason == "" {
			row.Reason = meta.Reason
		}
		if w, ok := warm[n.ID]; ok && w.Day != "" {
			row.WarmupDay = w.Step + 1
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// campaigns returns each number's figures in every campaign.
func (l *NumberLister) campaigns(ctx context.Context) (map[chat.NumberID][]NumberCampaign, error) {
	out := map[chat.NumberID][]NumberCampaign{}
	if l.Campaigns == nil {
		return out, nil
	}
	recs, err := l.Campaigns.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		rep, err := l.Campaigns.Status(ctx, rec.Name)
		if errors.Is(err, runner.ErrNoCampaign) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for id, c := range rep.Numbers {
			out[id] = append(out[id], NumberCampaign{Name: rec.Name, State: rec.State, Sent: c.Sent, Delivered: c.Delivered,
				Read: c.Read, Replied: c.Replied, OptedOut: c.OptedOut, Failed: c.FailedTotal()})
		}
	}
	for id := range out {
		slices.SortFunc(out[id], func(a, b NumberCampaign) int { return strings.Compare(a.Name, b.Name) })
	}
	return out, nil
}

// NumbersAPI serves GET /api/numbers to the admin token, and the admin numbers page
// (Page, at /admin/numbers) to anyone: the page holds no data, it asks for the token and
// reads the API.
type NumbersAPI struct {
	Lister *NumberLister
	Token  string
	Page   http.Handler
	Logger *slog.Logger
}

// NumbersRoutes are the API's routes; docs/numbers.openapi.yaml documents each.
var NumbersRoutes = []string{"GET /api/numbers"}

// Handler returns the API's and the page's handler.
func (a *NumbersAPI) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/numbers", a.auth(http.HandlerFunc(a.list)))
	if a.Page != nil {
		mux.Handle("GET /admin/numbers", a.Page)
		mux.Handle("GET /admin/numbers/", a.Page)
	}
	return mux
}

func (a *NumbersAPI) auth(next http.Handler) http.Handler {
	return adminauth.Require(a.Token, a.log(), next)
}

func (a *NumbersAPI) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

func (a *NumbersAPI) list(w http.ResponseWriter, r *http.Request) {
	rows, err := a.Lister.List(r.Context())
	if err != nil {
		a.log().Error("listing numbers failed", slog.Any("error", err))
		writeAPIJSON(w, http.StatusInternalServerError, map[string]string{"error": "the numbers could not be read; see the server log"})
		return
	}
	writeAPIJSON(w, http.StatusOK, map[string]any{"numbers": rows})
}

// newNumbersAPI returns the admin numbers API and page of a configuration.
func newNumbersAPI(cfg *config.Config, client redis.UniversalClient, clk clock.Clock, token string, log *slog.Logger) (http.Handler, error) {
	l, err := NewNumberLister(cfg, client, clk)
	if err != nil {
		return nil, err
	}
	return (&NumbersAPI{Lister: l, Token: token, Page: numberspage.Handler(), Logger: log}).Handler(), nil
}
