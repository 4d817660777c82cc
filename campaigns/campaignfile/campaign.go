package campaignfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/campaigns/audience"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/yamlfile"
)

// Campaign is a loaded, valid campaign file. It is immutable and safe for concurrent use.
type Campaign struct {
	Name string
	// File is the path it was read from; CSV is the audience file resolved against it.
	File     string
	Template Template
	Audience Audience
	Numbers  []Number
	Policy   string // link, bridge or hold
	Flow     string // the reply flow, or ""
	Hours    string
	Zone     *time.Location
	// Start, End: no send before Start or after End (zero: no bound). TTL bounds the
	// campaign to TTL after it started (0: none).
	Start, End time.Time
	TTL        time.Duration
	Canary     pacing.Canary
	Ramp       []int // nil: the default ramp
	SpreadOver time.Duration
	ZoneAttr   string
	// Lease is a claim's lease; Grace the wait of an unknown attempt for a status webhook.
	Lease, Grace time.Duration
	// FlowPos is where replies.flow is written, for checks against the flows.
	FlowPos yamlfile.Pos
	// given names the pacing keys the file sets ("hours", "zone", "canary.share"...):
	// Pacing lets the deployment's defaults stand for the others.
	given map[string]bool
}

// Template is the approved template and its compiled parameters.
type Template struct {
	Name string
	// Language may depend on the contact: {{ contact.attrs.lang == "en" ? "en" : "ar" }}.
	Language  *expr.Template
	Marketing bool
	Params    []*expr.Template
}

// Audience is where the contacts come from.
type Audience struct {
	CSV            string
	PhoneColumn    string
	DefaultCountry string
	// Contacts chooses stored contacts (nil: none): a bool expression compiled when the
	// file loads, evaluated per contact with the flows' functions and budget.
	Contacts *expr.Expr
}

// Number is a pool number; empty Portfolio and 0 Throughput take the serve
// configuration's values.
type Number struct {
	ID         chat.NumberID
	Tier       string
	Portfolio  string
	Throughput int
	Ramp       []int
	// TierGiven is false when the file leaves the tier out: the deployment's default tier
	// (config pacing.default_tier) then applies instead of Tier's TIER_250.
	TierGiven bool
}

// IsCampaignFile reports whether a file name is a campaign file (*.campaign.yaml or
// *.campaign.yml).
func IsCampaignFile(name string) bool {
	return strings.HasSuffix(name, ".campaign.yaml") || strings.HasSuffix(name, ".campaign.yml")
}

// Load reads and checks the campaign file at path.
func Load(path string) (*Campaign, yamlfile.Diagnostics) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, yamlfile.Diagnostics{{Pos: yamlfile.Pos{File: path}, Level: yamlfile.LevelError, Code: yamlfile.CodeIO,
			Message: fmt.Sprintf("reading the campaign file: %v", unwrapPath(err))}}
	}
	return Parse(path, data)
}

func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return pe.Err
	}
	return err
}

// Parse checks the campaign in data, naming file in diagnostics; the audience CSV is
// resolved against file's folder but not read. Every problem is reported; the campaign is
// nil when there is one.
func Parse(file string, data []byte) (*Campaign, yamlfile.Diagnostics) {
	c := &checker{file: file, data: data}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		for _, se := range yamlfile.SyntaxErrors(err) {
			c.diags = append(c.diags, yamlfile.Diagnostic{Pos: yamlfile.Pos{File: file, Line: se.Line}, Level: yamlfile.LevelError,
				Code: yamlfile.CodeYAMLSyntax, Message: se.Msg})
		}
		return nil, c.diags
	}
	if len(doc.Content) == 0 {
		c.errorf(yamlfile.CodeYAMLSyntax, nil, "the campaign file is empty")
		return nil, c.diags
	}
	root := doc.Content[0]
	c.check(root, FormatSpec(), "the campaign")
	if root.Kind != yaml.MappingNode {
		return nil, c.diags
	}
	// The loader's own checks run even when the spec's failed, so that every problem
	// shows at once.
	camp := c.build(root)
	if len(c.diags) > 0 {
		c.diags.Sort(nil)
		return nil, c.diags
	}
	return camp, nil
}

// get returns the value node of key in the mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// str returns the text of key in m, or its documented default.
func str(m *yaml.Node, spec *yamlfile.Spec, key string) string {
	if n := get(m, key); n != nil && !yamlfile.IsNull(n) {
		return strings.TrimSpace(n.Value)
	}
	if f := spec.Field(key); f != nil && f.Default != nil {
		return fmt.Sprint(f.Default)
	}
	return ""
}

func num(m *yaml.Node, spec *yamlfile.Spec, key string) int {
	i, _ := strconv.Atoi(str(m, spec, key))
	return i
}

func dur(m *yaml.Node, spec *yamlfile.Spec, key string) time.Duration {
	s := str(m, spec, key)
	if s == "" {
		return 0
	}
	d, _ := yamlfile.ParseDuration(s)
	return d
}

func percent(m *yaml.Node, spec *yamlfile.Spec, key string) float64 {
	f, _ := strconv.ParseFloat(strings.TrimSuffix(str(m, spec, key), "%"), 64)
	return f / 100
}

func ints(n *yaml.Node) []int {
	if n == nil {
		return nil
	}
	out := make([]int, len(n.Content))
	for i, item := range n.Content {
		out[i], _ = strconv.Atoi(item.Value)
	}
	return out
}

func sub(spec *yamlfile.Spec, key string) *yamlfile.Spec { return spec.Field(key).Spec }

// build reads the checked tree into a Campaign, with the checks the schema cannot make:
// expressions, zones, hours, the default country, times, duplicates.
func (c *checker) build(root *yaml.Node) *Campaign {
	spec := FormatSpec()
	camp := &Campaign{Name: str(root, spec, "name"), File: c.file}

	tn, ts := get(root, "template"), sub(spec, "template")
	camp.Template = Template{Name: str(tn, ts, "name"), Marketing: str(tn, ts, "category") == "marketing"}
	src := expr.NewSource(c.file, c.data)
	if ln := get(tn, "language"); ln == nil || ln.Kind != yaml.ScalarNode {
		// reported by the spec's check
	} else if lang, err := src.CompileTemplate(ln); err != nil {
		c.exprError(get(tn, "language"), err)
	} else {
		camp.Template.Language = lang
	}
	if params := get(tn, "params"); params != nil && params.Kind == yaml.SequenceNode {
		for _, p := range params.Content {
			t, err := src.CompileTemplate(p)
			if err != nil {
				c.exprError(p, err)
				continue
			}
			camp.Template.Params = append(camp.Template.Params, t)
		}
	}

	an, as := get(root, "audience"), sub(spec, "audience")
	camp.Audience = Audience{CSV: str(an, as, "csv"), PhoneColumn: str(an, as, "phone_column"), DefaultCountry: str(an, as, "default_country")}
	if camp.Audience.CSV != "" && !filepath.IsAbs(camp.Audience.CSV) {
		camp.Audience.CSV = filepath.Join(filepath.Dir(c.file), camp.Audience.CSV)
	}
	if cn := get(an, "contacts"); cn != nil && cn.Kind == yaml.ScalarNode {
		if e, err := src.CompileExpr(cn, expr.BoolType); err != nil {
			c.exprError(cn, err)
		} else {
			camp.Audience.Contacts = e
		}
	} else if an != nil && an.Kind == yaml.MappingNode && get(an, "csv") == nil {
		c.errorf(yamlfile.CodeMissingKey, an, "`audience` needs `csv` (a CSV file of phone numbers), `contacts` (an expression choosing stored contacts) or both")
	}
	if _, err := audience.NewPhones(camp.Audience.DefaultCountry); err != nil {
		c.errorf(yamlfile.CodeBadValue, get(an, "default_country"), "`audience.default_country`: %v", err)
	}

	ns := sub(spec, "numbers").Elem
	seen := map[string]int{}
	tiers := map[string]string{}
	var pool []*yaml.Node
	if nn := get(root, "numbers"); nn != nil && nn.Kind == yaml.SequenceNode {
		pool = nn.Content
	}
	for i, n := range pool {
		num := Number{ID: chat.NumberID(str(n, ns, "id")), Tier: str(n, ns, "tier"), Portfolio: str(n, ns, "portfolio"),
			Throughput: num(n, ns, "throughput"), Ramp: ints(get(n, "ramp")), TierGiven: get(n, "tier") != nil}
		if first, dup := seen[string(num.ID)]; dup {
			c.errorf(yamlfile.CodeDuplicate, get(n, "id"), "number %s appears twice in `numbers`; the first is at line %d", num.ID, first)
		}
		if idn := get(n, "id"); idn != nil {
			seen[string(num.ID)] = idn.Line
		}
		if num.Portfolio != "" {
			if t, ok := tiers[num.Portfolio]; ok && t != num.Tier {
				c.errorf(yamlfile.CodeConflict, n, "`numbers[%d]` is in portfolio %s with tier %s, but another number of it says %s: all numbers of a portfolio share one messaging limit", i, num.Portfolio, num.Tier, t)
			}
			tiers[num.Portfolio] = num.Tier
		}
		camp.Numbers = append(camp.Numbers, num)
	}

	rn, rs := get(root, "replies"), sub(spec, "replies")
	camp.Policy, camp.Flow = str(rn, rs, "policy"), str(rn, rs, "flow")
	if fn := get(rn, "flow"); fn != nil {
		camp.FlowPos = yamlfile.Pos{File: c.file, Line: fn.Line, Col: fn.Column}
	}

	camp.Hours = str(root, spec, "hours")
	if _, err := pacing.ParseHours(camp.Hours); err != nil {
		c.errorf(yamlfile.CodeBadValue, get(root, "hours"), "`hours`: %v", err)
	}
	zone := str(root, spec, "zone")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		c.errorf(yamlfile.CodeBadValue, get(root, "zone"), "`zone` must be an IANA time zone such as Asia/Riyadh, found %q", zone)
	}
	camp.Zone = loc
	for _, k := range []string{"start", "end"} {
		s := str(root, spec, k)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.Replace(s, " ", "T", 1))
		if err != nil {
			t, err = time.Parse("2006-01-02T15:04Z07:00", strings.Replace(s, " ", "T", 1))
		}
		if err != nil {
			c.errorf(yamlfile.CodeBadValue, get(root, k), "`%s` is not a valid time: %v", k, err)
			continue
		}
		if k == "start" {
			camp.Start = t
		} else {
			camp.End = t
		}
	}
	if !camp.Start.IsZero() && !camp.End.IsZero() && !camp.End.After(camp.Start) {
		c.errorf(yamlfile.CodeConflict, get(root, "end"), "`end` must come after `start` on line %d", get(root, "start").Line)
	}
	camp.TTL = dur(root, spec, "ttl")

	sn, ss := get(root, "stop_loss"), sub(spec, "stop_loss")
	cn, cs := get(root, "canary"), sub(spec, "canary")
	camp.Canary = pacing.Canary{Share: percent(cn, cs, "share"), Min: num(cn, cs, "min"), Max: num(cn, cs, "max"), Pause: dur(cn, cs, "pause"),
		MaxFailureRate: percent(sn, ss, "max_failure_rate"), MaxOptOutRate: percent(sn, ss, "max_opt_out_rate")}
	if camp.Canary.Max > 0 && camp.Canary.Min > camp.Canary.Max {
		c.errorf(yamlfile.CodeConflict, get(cn, "min"), "`canary.min` (%d) is more than `canary.max` (%d)", camp.Canary.Min, camp.Canary.Max)
	}
	camp.given = map[string]bool{"hours": get(root, "hours") != nil, "zone": get(root, "zone") != nil}
	for _, k := range []string{"share", "min", "max", "pause"} {
		camp.given["canary."+k] = get(cn, k) != nil
	}
	pn, ps := get(root, "pacing"), sub(spec, "pacing")
	camp.Ramp = ints(get(pn, "ramp"))
	camp.SpreadOver = dur(pn, ps, "spread_over")
	camp.ZoneAttr = str(pn, ps, "zone_attribute")
	camp.Lease, camp.Grace = dur(pn, ps, "claim_lease"), dur(pn, ps, "unknown_grace")
	return camp
}

func (c *checker) exprError(n *yaml.Node, err error) {
	if ee, ok := errors.AsType[*expr.ExprError](err); ok {
		c.diags = append(c.diags, yamlfile.Diagnostic{Pos: yamlfile.Pos{File: c.file, Line: ee.Pos.Line, Col: ee.Pos.Col},
			Level: yamlfile.LevelError, Code: yamlfile.CodeExpression, Message: ee.Msg, Snippet: ee.Snippet})
		return
	}
	c.errorf(yamlfile.CodeExpression, n, "%v", err)
}

// Pacing returns base with the campaign's overrides: its hours, zones, canary, ramp and
// spread. A key the file leaves out keeps base's value (the deployment's default), and
// the stop-loss thresholds are always the file's.
func (c *Campaign) Pacing(base pacing.Config) pacing.Config {
	cfg := base
	if c.given == nil || c.given["hours"] {
		cfg.Hours = c.Hours
	}
	if c.given == nil || c.given["zone"] || base.DayZone == nil {
		cfg.DayZone, cfg.DefaultZone = c.Zone, c.Zone
	}
	canary := c.Canary
	if c.given != nil {
		if !c.given["canary.share"] {
			canary.Share = base.Canary.Share
		}
		if !c.given["canary.min"] {
			canary.Min = base.Canary.Min
		}
		if !c.given["canary.max"] {
			canary.Max = base.Canary.Max
		}
		if !c.given["canary.pause"] {
			canary.Pause = base.Canary.Pause
		}
	}
	cfg.Canary = canary
	if c.Ramp != nil {
		cfg.Ramp.Steps = c.Ramp
	}
	if c.SpreadOver > 0 {
		cfg.SpreadOver = c.SpreadOver
	}
	cfg.ZoneAttr = c.ZoneAttr
	return cfg
}

// Render renders the template for one contact: its language and parameters. Name and
// attributes come from the audience row (the "name" attribute is contact.name).
func (c *Campaign) Render(contact chat.ContactID, attrs map[string]string, now time.Time) (chat.Template, error) {
	env := &expr.Env{Contact: expr.ContactEnv{ID: string(contact), Name: attrs["name"], Attrs: attrs}, Campaign: c.Name, Now: now}
	lang, err := c.Template.Language.Render(env)
	if err != nil {
		return chat.Template{}, fmt.Errorf("campaign %s: the template's language: %w", c.Name, err)
	}
	params, err := c.params(env)
	if err != nil {
		return chat.Template{}, err
	}
	return chat.Template{Name: c.Template.Name, Language: lang, Params: params}, nil
}

func (c *Campaign) params(env *expr.Env) ([]string, error) {
	out := make([]string, len(c.Template.Params))
	for i, p := range c.Template.Params {
		s, err := p.Render(env)
		if err != nil {
			return nil, fmt.Errorf("campaign %s: parameter %d: %w", c.Name, i+1, err)
		}
		out[i] = s
	}
	return out, nil
}

// Window reports the campaign's sending window: no send before from, none after until
// (zero: no bound), given when it was started.
func (c *Campaign) Window(started time.Time) (from, until time.Time) {
	from, until = c.Start, c.End
	if c.TTL > 0 {
		begin := started
		if from.After(begin) {
			begin = from
		}
		if t := begin.Add(c.TTL); until.IsZero() || t.Before(until) {
			until = t
		}
	}
	return from, until
}
