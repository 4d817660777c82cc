package runner

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/sending"
)

// Sender sends one message once and returns Meta's wamid; sending.Sender.Attempt is one.
// Its errors carry Meta's code (sending.Code).
type Sender interface {
	Attempt(ctx context.Context, msg chat.Outbound) (string, error)
}

// OptOuts says whether a contact opted out (on any number: opt-out is the contact's).
type OptOuts interface {
	OptedOut(ctx context.Context, id chat.ContactID) (bool, error)
}

// ContactState is what the runner reads of a stored contact before sending to it.
type ContactState struct {
	// OptedOut is the contact-level opt-out (a STOP on any number, Meta's marketing stop).
	OptedOut bool
	// Windows holds when the contact last wrote to each business number; nil: never.
	Windows map[chat.NumberID]time.Time
}

// Profiles reads the contacts of a page of recipients at once (one round trip): their
// opt-out, so the runner does not ask OptOuts contact by contact, and their customer
// service windows, so that contacts who wrote to a pool number in the last 24 hours are
// sent first, from that number (inside the window the send does not count against the
// portfolio's limit, nor a marketing template against the per-user cap).
type Profiles interface {
	// States returns, for each id, its state; the zero state for a contact never seen.
	States(ctx context.Context, ids []chat.ContactID) ([]ContactState, error)
}

// NumberInfo is what the runner needs of a configured number.
type NumberInfo struct {
	Portfolio  string
	Throughput int
	Usable     bool
	// Allowance is the share of its warm-up cap the health policy lets the number send
	// (pacing.Number.Allowance; 0 or 1: all). A campaign is recompiled when a number's
	// info changes, so a slowed or stopped number takes effect on the next pass.
	Allowance float64
	// Ramp is the number's own warm-up ramp from the serve configuration; nil: the
	// default. A campaign file's number ramp wins over it.
	Ramp []int
}

// Numbers looks up the serve configuration's numbers.
type Numbers interface {
	Number(id chat.NumberID) (NumberInfo, bool)
}

// Intake reports whether this replica records the webhooks Meta sends: when the current
// run of failures began (zero: none), when the last one ended (zero: never failed) and
// why it fails.
type Intake interface {
	IntakeState() (failingSince, recoveredAt time.Time, why string)
}

// Options configure a Runner.
type Options struct {
	Control *Control
	Sender  Sender
	OptOuts OptOuts // nil: nobody opted out
	Numbers Numbers
	Clock   clock.Clock
	Logger  *slog.Logger
	Metrics *Metrics // nil: none
	// Pacing is the base pacing configuration the campaign files override (default
	// pacing.Defaults()).
	Pacing *pacing.Config
	// Interval is the pause between passes (default 1 s); Page the contacts per pass and
	// campaign (default 200); Lease a claim's lease (default 1 min); Grace the wait for a
	// status webhook of an attempt whose outcome is unknown (default 30 min).
	Interval, Lease, Grace time.Duration
	Page                   int
	// Owner names this replica in its claims.
	Owner string
	// Rates prices delivered messages from their status webhook's pricing block (nil:
	// cost is not estimated). Meta changes rates; the operator keeps the table current.
	Rates *outcome.Rates
	// Profiles, when set, answers the opt-outs of a page at once (instead of OptOuts)
	// and puts contacts with an open window on a pool number first.
	Profiles Profiles
	// Intake, when set, says whether status webhooks are being recorded; while they are
	// not, the runner sends nothing and holds the sweep of unknown attempts (see hold).
	Intake Intake
	// ReplyWindow is how long after a send a message on another of the business's
	// numbers counts as a reply (default DefaultReplyWindow).
	ReplyWindow time.Duration
	// StopLoss, when set, judges each running campaign's totals at every pass, at any
	// point of the campaign (the canary gate judges only its slice); see stoploss.go.
	StopLoss StopLoss
}

// Runner is the campaign loop of wasla serve. Several replicas may run one each.
type Runner struct {
	o     Options
	state *pacing.RedisState
	mu    sync.Mutex
	camps map[string]*compiled
	known map[string]*known
	// holding is true while sends are held for a failing webhook intake (logged once).
	holding atomic.Bool
}

type compiled struct {
	sum     [32]byte
	infos   []NumberInfo // the numbers' infos it was compiled with
	camp    *campaignfile.Campaign
	cfg     pacing.Config
	planner *pacing.Planner
	zones   *pacing.Zones
	aud     *audience.Redis
	cols    []string
	cursor  int
}

// New returns a runner.
func New(o Options) (*Runner, error) {
	if o.Control == nil || o.Sender == nil || o.Numbers == nil {
		return nil, errors.New("runner: Control, Sender and Numbers are required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Pacing == nil {
		d := pacing.Defaults()
		o.Pacing = &d
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Minute
	}
	if o.Page <= 0 {
		o.Page = 200
	}
	if o.Owner == "" {
		o.Owner = "wasla"
	}
	if o.ReplyWindow <= 0 {
		o.ReplyWindow = DefaultReplyWindow
	}
	return &Runner{o: o, state: pacing.NewRedisState(o.Control.client, o.Control.prefix), camps: map[string]*compiled{}, known: map[string]*known{}}, nil
}

// Run makes passes until ctx is done; a failing pass is logged and the next one comes.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.o.Interval)
	defer t.Stop()
	for {
		if err := r.Pass(ctx); err != nil && ctx.Err() == nil {
			r.o.Logger.Warn("campaign pass failed", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass runs one pass over every running campaign and returns how many sends it made.
func (r *Runner) Pass(ctx context.Context) error {
	recs, err := r.o.Control.List(ctx)
	if err != nil {
		return err
	}
	r.remember(recs)
	var errs []error
	for _, rec := range recs {
		if rec.State != StateRunning {
			continue
		}
		if _, err := r.runOne(ctx, rec); err != nil {
			var unfit *unfitError
			if errors.As(err, &unfit) {
				// Trying again every pass cannot help and would say so every second in the
				// log while the status reads running: pause it, saying why, once.
				reason := fmt.Sprintf("%v; change the campaign file or the serve configuration, then resume it", unfit)
				if perr := r.o.Control.stopIf(ctx, rec.Name, StatePaused, reason); perr != nil {
					errs = append(errs, fmt.Errorf("campaign %s: pausing it: %w", rec.Name, perr))
					continue
				}
				r.o.Logger.Warn("campaign paused: it cannot run in this deployment", slog.String("campaign", rec.Name), slog.String("reason", reason))
				continue
			}
			errs = append(errs, fmt.Errorf("campaign %s: %w", rec.Name, err))
		}
	}
	return errors.Join(errs...)
}

// unfitError says a campaign cannot run in this deployment as it stands (a number the
// serve configuration lacks, a file that no longer loads): passes cannot fix it, a person
// must, so the campaign is paused with it as the reason.
type unfitError struct{ why string }

func (e *unfitError) Error() string { return e.why }

// compile returns the campaign of a record, compiled once per source.
func (r *Runner) compile(ctx context.Context, rec Record) (*compiled, error) {
	sum := sha256.Sum256(rec.Source)
	r.mu.Lock()
	c := r.camps[rec.Name]
	r.mu.Unlock()
	if c != nil && c.sum == sum && r.sameInfos(c) {
		return c, nil
	}
	camp, diags := campaignfile.Parse(rec.File, rec.Source)
	if diags.HasErrors() {
		return nil, &unfitError{fmt.Sprintf("the stored campaign file no longer loads: %v", diags)}
	}
	cfg := camp.Pacing(*r.o.Pacing)
	pool := make([]pacing.Number, 0, len(camp.Numbers))
	infos := make([]NumberInfo, 0, len(camp.Numbers))
	for _, n := range camp.Numbers {
		info, ok := r.o.Numbers.Number(n.ID)
		if !ok {
			return nil, &unfitError{fmt.Sprintf("number %s is not in the serve configuration's numbers", n.ID)}
		}
		infos = append(infos, info)
		pn := pacing.Number{NumberRef: pacing.NumberRef{Number: n.ID, Portfolio: n.Portfolio}, Tier: n.Tier, Usable: info.Usable, Throughput: n.Throughput, Allowance: info.Allowance}
		if !n.TierGiven && cfg.DefaultTier != "" {
			pn.Tier = cfg.DefaultTier
		}
		if pn.Portfolio == "" {
			pn.Portfolio = info.Portfolio
		}
		if pn.Portfolio == "" {
			pn.Portfolio = "waba-" + string(n.ID)
		}
		if pn.Throughput == 0 {
			pn.Throughput = info.Throughput
		}
		steps := n.Ramp
		if steps == nil {
			steps = info.Ramp
		}
		if steps != nil {
			ramp := cfg.Ramp
			ramp.Steps = steps
			pn.Ramp = &ramp
		}
		pool = append(pool, pn)
	}
	planner, err := pacing.NewPlanner(cfg, pool)
	if err != nil {
		return nil, err
	}
	aud, err := r.o.Control.Audience(camp.Name)
	if err != nil {
		return nil, err
	}
	cols, err := aud.Columns(ctx)
	if err != nil {
		return nil, err
	}
	cursor := 0
	if c != nil {
		cursor = c.cursor
	}
	c = &compiled{sum: sum, infos: infos, camp: camp, cfg: cfg, planner: planner, zones: pacing.NewZones(camp.Zone), aud: aud, cols: cols, cursor: cursor}
	if r.o.Rates != nil && r.o.Rates.Currency != "" && rec.Currency != r.o.Rates.Currency {
		if err := r.o.Control.client.HSet(ctx, r.o.Control.key(rec.Name), "currency", r.o.Rates.Currency).Err(); err != nil {
			return nil, fmt.Errorf("recording the currency of campaign %s: %w", rec.Name, err)
		}
	}
	r.mu.Lock()
	r.camps[rec.Name] = c
	r.mu.Unlock()
	return c, nil
}

// sameInfos reports whether c's numbers still have the infos c was compiled with.
func (r *Runner) sameInfos(c *compiled) bool {
	for i, n := range c.camp.Numbers {
		if info, _ := r.o.Numbers.Number(n.ID); !sameInfo(info, c.infos[i]) {
			return false
		}
	}
	return true
}

// sameInfo compares two infos field by field (Ramp is a slice).
func sameInfo(a, b NumberInfo) bool {
	return a.Portfolio == b.Portfolio && a.Throughput == b.Throughput && a.Usable == b.Usable &&
		a.Allowance == b.Allowance && slices.Equal(a.Ramp, b.Ramp)
}

// runOne makes one pass over one running campaign and returns its sends.
func (r *Runner) runOne(ctx context.Context, rec Record) (int, error) {
	c, err := r.compile(ctx, rec)
	if err != nil {
		return 0, err
	}
	now := r.o.Clock.Now()
	from, until := c.camp.Window(rec.Started)
	if now.Before(from) {
		return 0, nil
	}
	if !until.IsZero() && now.After(until) {
		return 0, r.o.Control.stopIf(ctx, rec.Name, StateDone, "its sending window ended "+until.Format(time.RFC3339))
	}
	grace := cmp.Or(c.camp.Grace, r.o.Grace)
	hold, sweep := r.hold(now, grace)
	if hold {
		return 0, nil
	}
	if sweep {
		if _, err := c.aud.Sweep(ctx, now, grace, r.o.Page); err != nil {
			return 0, err
		}
	}
	if stopped, err := r.stopLoss(ctx, c, rec); stopped || err != nil {
		return 0, err
	}
	allow, err := r.gate(ctx, c, rec, now)
	if err != nil || allow == 0 {
		return 0, err
	}
	// Due retries first, then a page of the audience from this replica's cursor.
	due, err := c.aud.DueRetries(ctx, now, r.o.Page)
	if err != nil {
		return 0, err
	}
	work, err := c.aud.Recipients(ctx, due)
	if err != nil {
		return 0, err
	}
	page, err := c.aud.Next(ctx, c.cursor, r.o.Page)
	if err != nil {
		return 0, err
	}
	if len(page) == 0 {
		c.cursor = 0 // from the top again: released unknown attempts wait there
		if len(work) == 0 {
			pending, err := c.aud.Pending(ctx)
			if err == nil && !pending {
				err = r.o.Control.stopIf(ctx, rec.Name, StateDone, "every contact was sent to")
			}
			return 0, err
		}
	} else {
		c.cursor = page[len(page)-1].Line
	}
	ids := make([]chat.ContactID, len(page))
	for i, p := range page {
		ids[i] = p.Contact
	}
	states, err := c.aud.States(ctx, ids)
	if err != nil {
		return 0, err
	}
	for i, p := range page {
		if states[i].Kind == audience.Pending {
			work = append(work, p)
		}
	}
	if len(work) == 0 {
		return 0, nil
	}
	cands, err := r.candidates(ctx, c, work, now)
	if err != nil {
		return 0, err
	}
	planner, err := r.warmups(ctx, c, now)
	if err != nil {
		return 0, err
	}
	u, err := r.state.Usage(ctx, planner.Day(now), planner.Refs(), now, c.cfg.ReachWindow)
	if err != nil {
		return 0, err
	}
	sends := 0
	for _, cand := range cands {
		if allow >= 0 && sends >= allow {
			break
		}
		if ctx.Err() != nil {
			return sends, ctx.Err()
		}
		sent, stop, err := r.sendOne(ctx, c, planner, cand, r.o.Clock.Now(), u)
		if err != nil {
			return sends, err
		}
		if sent {
			sends++
		}
		if stop {
			break
		}
	}
	return sends, nil
}

// hold says whether the runner must hold its sends (webhook intake is failing: statuses
// of what it sends now could not be recorded, so failures, opt-outs and the stop-loss
// would go unseen) and whether the sweep may release unknown attempts: not while intake
// fails nor for grace after it recovered, the time Meta's redelivered statuses need to
// settle the attempts they name.
func (r *Runner) hold(now time.Time, grace time.Duration) (hold, sweep bool) {
	if r.o.Intake == nil {
		return false, true
	}
	failing, recovered, why := r.o.Intake.IntakeState()
	if !failing.IsZero() {
		if !r.holding.Swap(true) {
			r.o.Logger.Warn("campaign sends held: webhooks are not being recorded", slog.Time("since", failing), slog.String("reason", why))
		}
		r.o.Metrics.held()
		return true, false
	}
	if r.holding.Swap(false) {
		r.o.Logger.Info("campaign sends resumed: webhooks are recorded again; unknown attempts wait for their statuses", slog.Duration("grace", grace))
	}
	return false, recovered.IsZero() || now.Sub(recovered) >= grace
}

// gate applies the canary and the stop-loss: how many may be sent now (-1: any).
func (r *Runner) gate(ctx context.Context, c *compiled, rec Record, now time.Time) (int, error) {
	if c.cfg.Canary.Share <= 0 {
		return -1, nil
	}
	total, _, err := r.counters(ctx, c.aud)
	if err != nil {
		return 0, err
	}
	n, err := c.aud.Len(ctx)
	if err != nil {
		return 0, err
	}
	p := pacing.CanaryProgress{Audience: n, Sent: int(total.Sent + total.FailedTotal()), Failed: int(total.FailedTotal()),
		Delivered: int(total.Delivered), OptedOut: int(total.OptedOut)}
	if size := c.cfg.Canary.Size(n); p.Sent >= size {
		last, err := r.o.Control.canaryDone(ctx, rec.Name, now)
		if err != nil {
			return 0, err
		}
		p.LastSend = last
	}
	g := c.cfg.Canary.Gate(p, now)
	switch g.Phase {
	case pacing.PhaseStopped:
		return 0, r.o.Control.stopIf(ctx, rec.Name, StateStopped, "stop-loss: "+g.Reason)
	case pacing.PhasePause:
		return 0, nil
	}
	return g.Allow, nil
}

// sendOne sends to one contact: it reports whether a message went, and stop when the
// pool cannot send more now.
func (r *Runner) sendOne(ctx context.Context, c *compiled, planner *pacing.Planner, cand candidate, now time.Time, u pacing.Usage) (sent, stop bool, err error) {
	rcp := cand.Recipient
	attrs := make(map[string]string, len(c.cols))
	for i, col := range c.cols {
		if i < len(rcp.Attrs) {
			attrs[col] = rcp.Attrs[i]
		}
	}
	out := cand.optedOut
	if r.o.Profiles == nil && r.o.OptOuts != nil {
		if out, err = r.o.OptOuts.OptedOut(ctx, rcp.Contact); err != nil {
			return false, false, err
		}
	}
	if out {
		return false, false, r.leaveOut(ctx, c, rcp.Contact, now)
	}
	zone, _ := c.zones.Of(rcp.Contact, attrs[c.cfg.ZoneAttr])
	d, res, grant, err := planner.Next(ctx, r.state, now, pacing.Candidate{Contact: rcp.Contact, Zone: zone, Windows: cand.windows}, u)
	if err != nil {
		return false, false, err
	}
	if d.Number == "" {
		// Quiet hours and the pair rate are the contact's own; every other wait holds for
		// the whole pool.
		return false, d.Wait != pacing.WaitHours && d.Wait != pacing.WaitPair, nil
	}
	attempt, err := c.aud.Claim(ctx, rcp.Contact, d.Number, r.o.Owner, now, cmp.Or(c.camp.Lease, r.o.Lease))
	if errors.Is(err, audience.ErrNotClaimed) {
		return false, false, r.state.Release(ctx, res, grant)
	}
	if err != nil {
		return false, false, errors.Join(err, r.state.Release(ctx, res, grant))
	}
	tpl, err := c.camp.Render(rcp.Contact, attrs, now)
	if err != nil {
		// A template that does not render for this contact: not Meta's fault, not retried.
		r.o.Logger.Warn("campaign template does not render", slog.String("campaign", c.camp.Name), slog.Any("error", err))
		_, serr := c.aud.Settle(ctx, audience.Settlement{Contact: rcp.Contact, Attempt: attempt, Number: d.Number, At: now, Kind: audience.Failed})
		return false, false, serr
	}
	msg := chat.Outbound{To: rcp.Contact, From: d.Number, Kind: chat.KindTemplate, Template: &tpl,
		CallbackData: audience.Attempt{Campaign: c.camp.Name, Contact: rcp.Contact, Attempt: attempt}.CallbackData()}
	wamid, sendErr := r.o.Sender.Attempt(ctx, msg)
	at := r.o.Clock.Now()
	set := audience.Settlement{Contact: rcp.Contact, Attempt: attempt, Number: d.Number, At: at}
	if sendErr == nil {
		set.Kind, set.WAMID, set.Level = audience.Sent, wamid, 1
		r.o.Metrics.sent(c.camp.Name, d.Number)
	} else {
		stop = r.failure(&set, attempt, sendErr, at, cmp.Or(c.camp.Grace, r.o.Grace))
		r.o.Metrics.failed(c.camp.Name, d.Number, set.Code)
		if set.Kind == audience.Pending {
			if rerr := r.state.Release(ctx, res, grant); rerr != nil {
				r.o.Logger.Warn("releasing a pacing reservation failed", slog.Any("error", rerr))
			}
		}
	}
	if _, err := c.aud.Settle(ctx, set); err != nil {
		return sendErr == nil, stop, err
	}
	if err := r.noteOutcome(ctx, d.Number, planner.Day(at), set.Code); err != nil {
		return sendErr == nil, stop, err
	}
	if set.Code != 0 && outcome.Classify(set.Code, 0) == outcome.TemplateProblem {
		return false, true, r.o.Control.stopIf(ctx, c.camp.Name, StateStopped,
			fmt.Sprintf("the template %s failed with error %d", c.camp.Template.Name, set.Code))
	}
	return sendErr == nil, stop, nil
}

// failure turns a failed attempt into its settlement; stop is true when the number or
// the pool cannot send now.
func (r *Runner) failure(set *audience.Settlement, attempt int, err error, at time.Time, grace time.Duration) (stop bool) {
	code, status := sending.Code(err)
	switch {
	case errors.Is(err, sending.ErrThrottled), errors.Is(err, sending.ErrNumberUnusable), errors.Is(err, sending.ErrUnknownNumber):
		set.Kind = audience.Pending // nothing left: the claim is released
		return true
	case code == 0:
		// No answer from Meta (network, timeout): the message may have reached it. Wait
		// for a status webhook, as for a replica that died here.
		set.Kind, set.Due = audience.Unknown, at.Add(grace)
		return false
	}
	set.Code = code
	switch outcome.Classify(code, status) {
	case outcome.Fatigued:
		if due, ok := outcome.DefaultLadder().Next(attempt, at); ok {
			set.Kind, set.Due = audience.Retrying, due
			return false
		}
	case outcome.Transient:
		if due, ok := outcome.DefaultBackoff().Next(attempt, at); ok {
			set.Kind, set.Due = audience.Retrying, due
			return true
		}
	case outcome.Reassign:
		set.Kind, set.Due = audience.Retrying, at
		return true
	}
	set.Kind = audience.Failed
	return false
}

// leaveOut settles a contact who opted out after the import: counted opted_out.
func (r *Runner) leaveOut(ctx context.Context, c *compiled, id chat.ContactID, now time.Time) error {
	number := c.camp.Numbers[0].ID
	attempt, err := c.aud.Claim(ctx, id, number, r.o.Owner, now, r.o.Lease)
	if errors.Is(err, audience.ErrNotClaimed) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = c.aud.Settle(ctx, audience.Settlement{Contact: id, Attempt: attempt, Number: number, At: now, Kind: audience.Failed, Code: audience.CodeOptedOut})
	return err
}

// counters sums a campaign's counters over its numbers.
func (r *Runner) counters(ctx context.Context, aud *audience.Redis) (outcome.Counters, map[chat.NumberID]outcome.Counters, error) {
	var total outcome.Counters
	per := map[chat.NumberID]outcome.Counters{}
	nums, err := aud.Numbers(ctx)
	if err != nil {
		return total, nil, err
	}
	for _, n := range nums {
		f, err := aud.Counters(ctx, n)
		if err != nil {
			return total, nil, err
		}
		c := outcome.FromFields(f)
		per[n] = c
		total.Add(c)
	}
	return total, per, nil
}

// canaryDone returns when the canary slice was first seen complete, recording now the
// first time.
func (c *Control) canaryDone(ctx context.Context, name string, now time.Time) (time.Time, error) {
	key := c.key(name)
	if err := c.client.HSetNX(ctx, key, "canary_done", now.UnixMilli()).Err(); err != nil {
		return time.Time{}, err
	}
	v, err := c.client.HGet(ctx, key, "canary_done").Result()
	if err != nil {
		return time.Time{}, err
	}
	ms, _ := strconv.ParseInt(v, 10, 64)
	return time.UnixMilli(ms), nil
}
