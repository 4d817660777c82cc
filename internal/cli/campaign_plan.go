package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/outcome"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/campaigns/simulation"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/yamlfile"
)

// planFile is the other input of `wasla campaign plan|simulate`, beside campaign files:
// the pool, the audience (a size or a CSV file), the pacing and the health policy. Its
// keys are meant to be a subset of the campaign file's, so the commands can take a
// campaign file later through the same conversion (scenario).
type planFile struct {
	// Start is when the campaign starts: RFC 3339, or YYYY-MM-DD (midnight in Zone).
	Start string `yaml:"start"`
	// Zone is the business's zone: the numbers' days, and contacts of unknown countries.
	Zone  string  `yaml:"zone"`
	Hours *string `yaml:"hours"`
	// Days is the horizon: the forecast stops after it.
	Days     int `yaml:"days"`
	Audience struct {
		// Size plays that many synthetic Saudi mobile numbers; CSV reads a real file
		// (relative to the plan file) the way a campaign imports it.
		Size           int    `yaml:"size"`
		CSV            string `yaml:"csv"`
		PhoneColumn    string `yaml:"phone_column"`
		DefaultCountry string `yaml:"default_country"`
	} `yaml:"audience"`
	Template struct {
		Category string `yaml:"category"`
		// Approved is the template's approval date (YYYY-MM-DD), for Meta's pacing warning.
		Approved string `yaml:"approved"`
	} `yaml:"template"`
	InboxPortfolio string `yaml:"inbox_portfolio"`
	Pool           []struct {
		Number     string `yaml:"number"`
		Portfolio  string `yaml:"portfolio"`
		Tier       string `yaml:"tier"`
		Throughput int    `yaml:"throughput"`
		WarmupStep int    `yaml:"warmup_step"`
	} `yaml:"pool"`
	Ramp   []int `yaml:"ramp"`
	Canary *struct {
		Share float64 `yaml:"share"`
		Min   int     `yaml:"min"`
		Max   int     `yaml:"max"`
		Pause string  `yaml:"pause"`
	} `yaml:"canary"`
	// Health is the policy's thresholds; "off: true" plays without a health policy.
	Health *struct {
		Off          bool     `yaml:"off"`
		SlowBelow    *float64 `yaml:"slow_below"`
		StopBelow    *float64 `yaml:"stop_below"`
		MinAllowance *float64 `yaml:"min_allowance"`
		ResumeAbove  *float64 `yaml:"resume_above"`
		CleanDays    *int     `yaml:"clean_days"`
	} `yaml:"health"`
	Rates struct {
		Currency string                       `yaml:"currency"`
		Prices   map[string]map[string]string `yaml:"prices"`
	} `yaml:"rates"`
}

// loadPlan reads a plan file into a scenario and the forecast's context. Errors name the
// file and line.
func loadPlan(path string) (simulation.Scenario, simulation.Context, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return simulation.Scenario{}, simulation.Context{}, err
	}
	return parsePlan(path, data, readAudience)
}

// audienceReader reads an audience CSV: the contacts in order, and the rows left out by
// reason.
type audienceReader func(path, column, defaultCountry string, marketing bool) ([]chat.ContactID, map[string]int, error)

// parsePlan reads a plan file's data (path names it in errors and anchors the audience
// CSV's relative path).
func parsePlan(path string, data []byte, readCSV audienceReader) (simulation.Scenario, simulation.Context, error) {
	var sc simulation.Scenario
	var cx simulation.Context
	var err error
	var f planFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return sc, cx, planDecodeError(path, err)
	}
	bad := func(format string, a ...any) error { return fmt.Errorf("%s: "+format, append([]any{path}, a...)...) }
	zone := time.UTC
	if f.Zone != "" {
		if zone, err = time.LoadLocation(f.Zone); err != nil {
			return sc, cx, bad("zone %q is not a time zone; write an IANA name such as Asia/Riyadh", f.Zone)
		}
	}
	cfg := pacing.Defaults()
	cfg.DayZone, cfg.DefaultZone = zone, zone
	if f.Hours != nil {
		cfg.Hours = *f.Hours
	}
	if len(f.Ramp) > 0 {
		cfg.Ramp.Steps = f.Ramp
	}
	if c := f.Canary; c != nil {
		cfg.Canary.Share, cfg.Canary.Min, cfg.Canary.Max = c.Share, c.Min, c.Max
		if c.Pause != "" {
			if cfg.Canary.Pause, err = yamlfile.ParseDuration(c.Pause); err != nil {
				return sc, cx, bad("canary pause: %v", err)
			}
		}
	}
	sc.Pacing = cfg
	sc.Start = time.Now().In(zone).Truncate(time.Hour)
	if f.Start != "" {
		if sc.Start, err = time.Parse(time.RFC3339, f.Start); err != nil {
			if sc.Start, err = time.ParseInLocation(time.DateOnly, f.Start, zone); err != nil {
				return sc, cx, bad("start %q: write 2026-03-01 or 2026-03-01T09:00:00+03:00", f.Start)
			}
		}
	}
	sc.MaxDays, sc.Observe = 60, 3
	if f.Days > 366 {
		return sc, cx, bad("days %d: a plan looks at most a year (366 days) ahead", f.Days)
	}
	if f.Days > 0 {
		sc.MaxDays = f.Days
	}
	if len(f.Pool) == 0 {
		return sc, cx, bad("the pool names no number; list the campaign numbers under pool: with their portfolio and tier")
	}
	for _, p := range f.Pool {
		tier := p.Tier
		if tier == "" {
			tier = "TIER_2K"
		}
		sc.Pool = append(sc.Pool, pacing.Number{NumberRef: pacing.NumberRef{Number: chat.NumberID(p.Number), Portfolio: p.Portfolio},
			Tier: tier, Throughput: p.Throughput, Warmup: pacing.Warmup{Step: p.WarmupStep}})
	}
	if _, err := pacing.NewPlanner(cfg, sc.Pool); err != nil {
		return sc, cx, bad("%v", err)
	}
	sc.Health = simulation.DefaultHealth()
	if h := f.Health; h != nil {
		if h.Off {
			sc.Health = nil
		} else {
			setF(&sc.Health.Policy.SlowBelow, h.SlowBelow)
			setF(&sc.Health.Policy.StopBelow, h.StopBelow)
			setF(&sc.Health.Policy.MinAllowance, h.MinAllowance)
			setF(&sc.Health.Policy.ResumeAbove, h.ResumeAbove)
			if h.CleanDays != nil {
				sc.Health.Policy.CleanDays = *h.CleanDays
			}
			if err := sc.Health.Policy.Validate(); err != nil {
				return sc, cx, bad("%v", err)
			}
		}
	}
	sc.Category = f.Template.Category
	if sc.Category == "" {
		sc.Category = "marketing"
	}
	if f.Template.Approved != "" {
		approved, err := time.ParseInLocation(time.DateOnly, f.Template.Approved, zone)
		if err != nil {
			return sc, cx, bad("template approved %q: write a date such as 2026-02-20", f.Template.Approved)
		}
		cx.TemplateAge = max(sc.Start.Sub(approved), time.Minute)
	}
	cx.InboxPortfolio = f.InboxPortfolio
	sc.Rates = outcome.Rates{Currency: f.Rates.Currency, ByCategory: map[string]map[string]outcome.Micro{}}
	for cat, byMarket := range f.Rates.Prices {
		m := map[string]outcome.Micro{}
		for market, price := range byMarket {
			if m[market], err = outcome.ParseMicro(price); err != nil {
				return sc, cx, bad("rate of %s in %s: %v", cat, market, err)
			}
		}
		sc.Rates.ByCategory[strings.ToLower(cat)] = m
	}
	switch {
	case f.Audience.CSV != "":
		csvPath := f.Audience.CSV
		if !filepath.IsAbs(csvPath) {
			csvPath = filepath.Join(filepath.Dir(path), csvPath)
		}
		contacts, left, err := readCSV(csvPath, f.Audience.PhoneColumn, f.Audience.DefaultCountry, sc.Category == "marketing")
		if err != nil {
			return sc, cx, bad("audience: %v", err)
		}
		sc.Contacts, cx.LeftOut = contacts, left
	case f.Audience.Size > maxPlanAudience:
		return sc, cx, bad("audience size %d is more than the %d a plan plays; give a CSV file for a real audience", f.Audience.Size, maxPlanAudience)
	case f.Audience.Size > 0:
		sc.Contacts = make([]chat.ContactID, f.Audience.Size)
		for i := range sc.Contacts {
			sc.Contacts[i] = chat.ContactID(fmt.Sprintf("9665%08d", i))
		}
	default:
		return sc, cx, bad("the audience is empty; give audience: size: N or audience: csv: FILE")
	}
	return sc, cx, nil
}

// unknownField is yaml.v3's text for a key the struct does not have.
var unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)

// planDecodeError rewrites yaml.v3's errors as file:line: sentences, with a did-you-mean
// for a misspelt key.
func planDecodeError(path string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	keys := planKeys(reflect.TypeOf(planFile{}), nil)
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			lines[i] = fmt.Sprintf("%s:%s: unknown key %q%s", path, m[1], m[2], yamlfile.DidYouMean(m[2], keys))
			continue
		}
		lines[i] = path + ":" + strings.TrimPrefix(e, "line ")
	}
	return errors.New(strings.Join(lines, "\n"))
}

// planKeys lists the yaml keys of t and its nested structs.
func planKeys(t reflect.Type, out []string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" {
			out = append(out, tag)
		}
		out = planKeys(f.Type, out)
	}
	return out
}

// maxPlanAudience bounds a synthetic audience, so a typo cannot ask for a billion.
const maxPlanAudience = 10_000_000

func setF(dst *float64, v *float64) {
	if v != nil {
		*dst = *v
	}
}

// memoryAudience collects an import's recipients in file order, once each.
type memoryAudience struct {
	seen     map[chat.ContactID]bool
	contacts []chat.ContactID
}

func (m *memoryAudience) Begin(context.Context, audience.Header) error { return nil }

func (m *memoryAudience) Add(_ context.Context, batch []audience.Recipient) ([]bool, error) {
	added := make([]bool, len(batch))
	for i, r := range batch {
		if !m.seen[r.Contact] {
			m.seen[r.Contact] = true
			m.contacts = append(m.contacts, r.Contact)
			added[i] = true
		}
	}
	return added, nil
}

func readAudience(path, column, defaultCountry string, marketing bool) ([]chat.ContactID, map[string]int, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer file.Close()
	phones, err := audience.NewPhones(defaultCountry)
	if err != nil {
		return nil, nil, err
	}
	sink := &memoryAudience{seen: map[chat.ContactID]bool{}}
	rep, err := audience.Import(context.Background(), file, sink, audience.Options{PhoneColumn: column, Phones: phones, Marketing: marketing})
	if err != nil {
		return nil, nil, err
	}
	left := map[string]int{}
	for r := audience.Invalid; r <= audience.Duplicate; r++ {
		if n := rep.SkippedBy(r); n > 0 {
			left[r.String()] = n
		}
	}
	return sink.contacts, left, nil
}

const planAbout = `Forecast a campaign before anything is sent: for each day, which numbers send how many
under the warm-up ramps, the portfolio's shared limit, the sending hours, the canary pause
and the throughput; the day the audience is finished; the expected cost from the rate table;
and warnings. It runs the live campaign's pacing and health code in virtual time, with an
audience that is always delivered and never complains (see "campaign simulate" for risk).
FILE is a campaign file (*.campaign.yaml, the one wasla campaign start takes; give --config
for the serve configuration's numbers and inbox) or a plan file describing the pool, the
audience and the pacing (docs/campaigns.md, "Plan files").`

// runCampaignPlan is `wasla campaign plan FILE`.
func runCampaignPlan(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("campaign plan", "[--config FILE] [--template-approved DATE] [--json] FILE", planAbout, s)
	asJSON := fs.Bool("json", false, "write the forecast as JSON")
	input := addPlanInput(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	sc, cx, ok := input.load(fs.Arg(0), s.Err)
	if !ok {
		return exitFail
	}
	r, err := simulation.Run(ctx, sc, simulation.QuietModel())
	if err != nil {
		fmt.Fprintf(s.Err, "wasla campaign plan: %v\n", err)
		return exitFail
	}
	warnings := simulation.Warnings(sc, r, cx)
	if *asJSON {
		return writeJSON(s, struct {
			*simulation.Result
			Warnings []string `json:"warnings"`
		}{r, warnings})
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	header := "day\t"
	for _, n := range sc.Pool {
		header += string(n.Number) + "\t"
	}
	fmt.Fprintln(tw, header+"total\tcumulative\theld back by")
	total := 0
	for i, d := range r.Days {
		line, day := d.Day+"\t", 0
		for _, n := range d.Numbers {
			line += fmt.Sprintf("%d/%s\t", n.Sent, planCap(n.Cap))
			day += n.Sent
		}
		total += day
		fmt.Fprintf(tw, "%s%d\t%d\t%s\n", line, day, total, strings.Join(d.Waits, ", "))
		if r.DaysToFinish > 0 && i+1 >= r.DaysToFinish {
			break
		}
	}
	tw.Flush()
	fmt.Fprintln(s.Out, "\n(sent/cap a day per number; the caps follow the warm-up ramp, and the portfolio's limit is shared by its numbers)")
	if r.Finished != "" {
		fmt.Fprintf(s.Out, "finished on %s (day %d): %d contacts\n", r.Finished, r.DaysToFinish, r.Sent)
	} else {
		fmt.Fprintf(s.Out, "not finished within %d days: %d of %d contacts sent\n", sc.MaxDays, r.Sent, r.Audience)
	}
	if r.Currency != "" {
		fmt.Fprintf(s.Out, "expected cost: %s %s (from the rate table; Meta changes its rates)\n", r.Cost, r.Currency)
	}
	for _, w := range warnings {
		fmt.Fprintf(s.Out, "warning: %s\n", w)
	}
	return exitOK
}

func planCap(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func writeJSON(s Streams, v any) int {
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(s.Err, "wasla: %v\n", err)
		return exitFail
	}
	return exitOK
}

const campaignSimulateAbout = `Play a campaign in virtual time against a modelled audience and a modelled Meta, with a
fixed seed: each contact reads, replies, opts out, blocks or reports with probabilities that
grow when a number sends too much or too fast; Meta rates each number over a recency-weighted
7 days, paces the template (holds, then releases or drops) and restricts a number that stays
RED. The live pacing and health policy decide. Prints per day and per number the volume, the
score, Meta's rating and the state, and writes an SVG chart. The model's parameters are
assumptions (docs/campaigns.md, "The risk simulator"); --fit history.jsonl replaces the
ones a real history shows (failures, replies, opt-outs, negative replies) by their rates
in an export of wasla history export, prints them, and plays the run with them.`

// runCampaignSimulate is `wasla campaign simulate FILE`.
func runCampaignSimulate(ctx context.Context, args []string, s Streams) int {
	fs := newFlagSet("campaign simulate", "[--seed N] [--chart FILE.svg] [--blast] [--fit HISTORY.jsonl] [--json] FILE", campaignSimulateAbout, s)
	seed := fs.Uint64("seed", 1, "the seed of the model's randomness: the same seed plays the same run")
	chart := fs.String("chart", "", "where to write the SVG chart (default: FILE with .svg)")
	blast := fs.Bool("blast", false, `play "send it all on day one" instead: no ramp, spread, canary or health policy`)
	asJSON := fs.Bool("json", false, "write the result as JSON")
	fit := fs.String("fit", "", "fit the audience's probabilities to a history export (`FILE`.jsonl from wasla history export) and print them")
	input := addPlanInput(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	path := fs.Arg(0)
	m := simulation.DefaultModel()
	m.Seed = *seed
	if *fit != "" {
		fitted, report, err := fitModel(*fit, m)
		if err != nil {
			fmt.Fprintf(s.Err, "wasla campaign simulate: %v\n", err)
			return exitFail
		}
		m = fitted
		if *asJSON {
			fmt.Fprint(s.Err, report) // stdout holds the JSON alone
		} else {
			fmt.Fprintln(s.Out, report)
		}
	}
	sc, _, ok := input.load(path, s.Err)
	if !ok {
		return exitFail
	}
	if *blast {
		sc = simulation.Blast(sc)
	}
	r, err := simulation.Run(ctx, sc, m)
	if err != nil {
		fmt.Fprintf(s.Err, "wasla campaign simulate: %v\n", err)
		return exitFail
	}
	out := *chart
	if out == "" {
		out = strings.TrimSuffix(path, filepath.Ext(path)) + ".svg"
	}
	var svg bytes.Buffer
	if err := simulation.WriteSVG(&svg, filepath.Base(path), r); err == nil {
		err = os.WriteFile(out, svg.Bytes(), 0o644)
	}
	if err != nil {
		fmt.Fprintf(s.Err, "wasla campaign simulate: writing the chart: %v\n", err)
		return exitFail
	}
	if *asJSON {
		return writeJSON(s, r)
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "day\tnumber\tsent\tdelivered\tblocks\topt-outs\tscore\trating\tstate")
	for _, d := range r.Days {
		for _, n := range d.Numbers {
			state := string(n.State)
			if n.State == health.Slowed {
				state = fmt.Sprintf("slowed %.0f%%", 100*n.Allowance)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.0f\t%s\t%s\n", d.Day, n.Number, n.Sent, n.Delivered, n.Blocks, n.OptOuts, n.Score, orDash(string(n.Rating)), state)
		}
	}
	tw.Flush()
	for _, e := range r.Events {
		if e.Number == "" || e.From != e.To {
			fmt.Fprintf(s.Out, "event %s %s %s→%s: %s\n", e.At.Format("2006-01-02 15:04"), orDash(e.Number), orDash(string(e.From)), e.To, e.Reason)
		}
	}
	fmt.Fprintf(s.Out, "\naudience %d: reached %d, undeliverable %d, dropped by Meta %d, not sent %d\n", r.Audience, r.Reached, r.Undelivered, r.Dropped, r.Unsent)
	if r.Finished != "" {
		fmt.Fprintf(s.Out, "finished on %s (day %d)\n", r.Finished, r.DaysToFinish)
	}
	fmt.Fprintf(s.Out, "numbers that reached RED: %d %v; restricted: %d %v\n", len(r.ReachedRed), r.ReachedRed, len(r.Restricted), r.Restricted)
	if r.Stopped != "" {
		fmt.Fprintf(s.Out, "stopped: %s\n", r.Stopped)
	}
	fmt.Fprintf(s.Out, "chart: %s\n", out)
	return exitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// fitModel fits base to the history export at path and describes the fit.
func fitModel(path string, base simulation.Model) (simulation.Model, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return base, "", fmt.Errorf("--fit: %w", err)
	}
	defer f.Close()
	m, fit, err := simulation.FitHistory(path, f, base, health.NewPhrases(health.DefaultPhrases()))
	if err != nil {
		return base, "", err
	}
	return m, simulation.FormatFit(fit, base, m), nil
}
