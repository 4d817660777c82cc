package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// Load reads and validates the configuration file at path, expanding ${VAR} from the
// process environment. Its error is Diagnostics when the file has problems.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse validates the configuration in data, naming file in diagnostics and resolving the
// flows folder against file's folder. lookupEnv resolves ${VAR}; nil means no variable is
// set. It does no other I/O.
func Parse(file string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	p := &parser{file: file, env: lookupEnv}
	cfg := p.parse(data)
	if len(p.diags) > 0 {
		p.diags.sort()
		return nil, p.diags
	}
	return cfg, nil
}

type parser struct {
	file  string
	env   func(string) (string, bool)
	diags Diagnostics
	// reported marks values that already have a diagnostic (an unset variable), so a
	// "missing" check does not repeat it.
	reported map[string]bool
}

// secret is str for a value whose emptiness is checked later: a value that failed to
// expand is marked reported.
func (p *parser) secret(n *yaml.Node, what string) string {
	before := len(p.diags)
	s := p.str(n, what)
	if len(p.diags) > before {
		if p.reported == nil {
			p.reported = map[string]bool{}
		}
		p.reported[what] = true
	}
	return s
}

func (p *parser) errorf(code yamlfile.Code, n *yaml.Node, format string, args ...any) {
	d := Diagnostic{File: p.file, Code: code, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		d.Line, d.Col = n.Line, n.Column
	}
	p.diags = append(p.diags, d)
}

// mapping walks the mapping n, calling the handler of each key with the key and value
// nodes. The keys are those of spec (FormatSpec), so the loader and the JSON Schema cannot
// disagree: a key outside spec is unknown, and a key of spec without a handler is a fault
// of this package that the tests catch. Repeated keys are errors. It returns the key nodes
// seen.
func (p *parser) mapping(n *yaml.Node, what string, spec *yamlfile.Spec, known map[string]func(k, v *yaml.Node)) map[string]*yaml.Node {
	seen := map[string]*yaml.Node{}
	if yamlfile.IsNull(n) {
		return seen
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be a mapping of keys to values, found %s", what, yamlfile.Quote(n))
		return seen
	}
	names := slices.Sorted(slices.Values(spec.Names()))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if spec.Field(k.Value) == nil {
			p.errorf(yamlfile.CodeUnknownKey, k, "unknown key `%s` in %s%s", k.Value, what, yamlfile.DidYouMean(k.Value, names))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(yamlfile.CodeDuplicate, k, "key `%s` appears twice in %s; the first is at line %d", k.Value, what, first.Line)
			continue
		}
		seen[k.Value] = k
		handle, ok := known[k.Value]
		if !ok {
			p.errorf(yamlfile.CodeInvalid, k, "internal: key `%s` of %s is documented but not read", k.Value, what)
			continue
		}
		handle(k, v)
	}
	return seen
}

var envRef = regexp.MustCompile(`\$\$\{|\$\{([^}]*)\}`)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand replaces ${VAR} and ${VAR:-default} with the environment's values; $${ stands for
// a literal ${. A variable that is not set (and has no default) is an error.
func (p *parser) expand(n *yaml.Node, s string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return envRef.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$${" {
			return "${"
		}
		ref := m[2 : len(m)-1]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !envName.MatchString(name) {
			p.errorf(yamlfile.CodeBadValue, n, "`%s` is not a valid environment variable reference; write ${NAME} or ${NAME:-default}", m)
			return ""
		}
		if v, ok := p.env(name); ok && (v != "" || !hasDef) {
			return v
		}
		if hasDef {
			return def
		}
		p.errorf(yamlfile.CodeBadValue, n, "environment variable %s is not set", name)
		return ""
	})
}

// str returns the scalar value of n, environment references expanded; null is "".
func (p *parser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be a single value, found %s", what, yamlfile.Quote(n))
		return ""
	}
	if n.Tag == "!!null" {
		return ""
	}
	return strings.TrimSpace(p.expand(n, n.Value))
}

func (p *parser) integer(n *yaml.Node, what string, least int) int {
	s := p.str(n, what)
	if s == "" {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.errorf(yamlfile.CodeWrongType, n, "%s must be a whole number, found %q", what, s)
		return 0
	}
	if v < least {
		p.errorf(yamlfile.CodeBadValue, n, "%s must be at least %d, found %d", what, least, v)
		return 0
	}
	return v
}

func (p *parser) duration(n *yaml.Node, what string, allowZero bool) (time.Duration, bool) {
	s := p.str(n, what)
	if s == "" {
		return 0, false
	}
	if s == "0" && allowZero {
		return 0, true
	}
	if strings.HasPrefix(s, "-") {
		p.errorf(yamlfile.CodeBadValue, n, "%s must be positive, found %s", what, s)
		return 0, false
	}
	d, err := yamlfile.ParseDuration(s)
	if err != nil {
		p.errorf(yamlfile.CodeBadValue, n, "%s must be a duration such as 500ms, 2s, 5m or 7d, found %q", what, s)
		return 0, false
	}
	if d < 0 || (d == 0 && !allowZero) {
		p.errorf(yamlfile.CodeBadValue, n, "%s must be positive, found %s", what, s)
		return 0, false
	}
	return d, true
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	s := p.str(n, what)
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off", "":
		return false
	}
	p.errorf(yamlfile.CodeBadValue, n, "%s must be true or false, found %q", what, s)
	return false
}

func (p *parser) oneOf(n *yaml.Node, what string, allowed ...string) string {
	s := p.str(n, what)
	if s == "" || slices.Contains(allowed, s) {
		return s
	}
	p.errorf(yamlfile.CodeBadValue, n, "%s must be %s, found %q%s", what, orList(allowed), s, yamlfile.DidYouMean(s, allowed))
	return ""
}

func orList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "`" + x + "`"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// parse decodes and checks the whole file.
func (p *parser) parse(data []byte) *Config {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(err, 1+strings.Count(strings.TrimRight(string(data), "\n"), "\n"))
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 ||
		(doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
		p.errorf(yamlfile.CodeYAMLSyntax, &yaml.Node{Line: 1, Column: 1}, "the configuration is empty; see docs/config.md")
		return nil
	}
	root := doc.Content[0]
	cfg := &Config{
		File:   p.file,
		Listen: DefaultListen,
		Log:    Log{Level: slog.LevelInfo, Format: DefaultLogFormat},
		WhatsApp: WhatsApp{
			GraphURL:     DefaultGraphURL,
			GraphVersion: DefaultGraphVersion,
		},
		Routing: Routing{DefaultPolicy: DefaultPolicy, RedirectEvery: DefaultRedirectEvery},
		Limits: Limits{
			Workers:         DefaultWorkers,
			TimerInterval:   DefaultTimerInterval,
			RefreshInterval: DefaultRefreshInterval,
			ReloadInterval:  DefaultReloadInterval,
			ShutdownTimeout: DefaultShutdownTimeout,
			ShedLag:         DefaultShedLag,
			RefuseDepth:     DefaultRefuseDepth,
		},
		State:     State{SessionIdle: DefaultSessionIdle, DedupePeriod: DefaultDedupePeriod},
		HTTPSteps: HTTPSteps{MaxBody: DefaultHTTPMaxBody, MaxRedirects: DefaultHTTPMaxRedirects, BlockInternal: true},
		Health:    defaultHealth(),
		Outbox: Outbox{RetryFirst: DefaultOutboxRetryFirst, RetryMax: DefaultOutboxRetryMax,
			GiveUpAfter: DefaultOutboxGiveUpAfter, Lease: DefaultOutboxLease},
	}
	var numbersKey, whatsappKey *yaml.Node
	var numNodes []numberNodes
	var defaultPolicyNode *yaml.Node
	var campNodes []campaignNodes
	seen := p.mapping(root, "the configuration", FormatSpec(), map[string]func(k, v *yaml.Node){
		"listen": func(_, v *yaml.Node) {
			s := p.str(v, "listen")
			if _, _, err := net.SplitHostPort(s); err != nil {
				p.errorf(yamlfile.CodeBadValue, v, "listen must be host:port or :port, found %q", s)
				return
			}
			cfg.Listen = s
		},
		"redis": func(_, v *yaml.Node) {
			s := p.str(v, "redis")
			if s != "" && !strings.HasPrefix(s, "redis://") && !strings.HasPrefix(s, "rediss://") {
				p.errorf(yamlfile.CodeBadValue, v, "redis must be a redis:// or rediss:// URL, or empty for the embedded store")
				return
			}
			cfg.Redis = Secret(s)
		},
		"flows": func(_, v *yaml.Node) {
			s := p.str(v, "flows")
			if s == "" && v.Kind == yaml.ScalarNode {
				p.errorf(yamlfile.CodeMissingKey, v, "flows must name the folder of flow files")
				return
			}
			if !filepath.IsAbs(s) {
				s = filepath.Join(filepath.Dir(p.file), s)
			}
			cfg.Flows = s
		},
		"inbox": func(_, v *yaml.Node) {
			s := p.str(v, "inbox")
			if s != "" && !filepath.IsAbs(s) {
				s = filepath.Join(filepath.Dir(p.file), s)
			}
			cfg.InboxFile = s
		},
		"log": func(_, v *yaml.Node) {
			spec := FormatSpec().Field("log").Spec
			p.mapping(v, "log", spec, map[string]func(k, v *yaml.Node){
				"level": func(_, v *yaml.Node) {
					if s := p.oneOf(v, "log.level", spec.Field("level").Spec.Enum...); s != "" {
						_ = cfg.Log.Level.UnmarshalText([]byte(s))
					}
				},
				"format": func(_, v *yaml.Node) {
					if s := p.oneOf(v, "log.format", spec.Field("format").Spec.Enum...); s != "" {
						cfg.Log.Format = s
					}
				},
			})
		},
		"whatsapp": func(k, v *yaml.Node) {
			whatsappKey = k
			p.whatsapp(v, &cfg.WhatsApp)
		},
		"numbers": func(k, v *yaml.Node) {
			numbersKey = k
			numNodes = p.numbers(v, cfg)
		},
		"routing": func(_, v *yaml.Node) {
			defaultPolicyNode = p.routing(v, &cfg.Routing)
		},
		"campaigns": func(_, v *yaml.Node) {
			campNodes = p.campaigns(v, cfg)
		},
		"limits": func(_, v *yaml.Node) {
			p.limits(v, &cfg.Limits)
		},
		"state": func(_, v *yaml.Node) {
			p.state(v, &cfg.State)
		},
		"metrics":     func(_, v *yaml.Node) { p.metrics(v, &cfg.Metrics) },
		"admin":       func(_, v *yaml.Node) { p.admin(v, &cfg.Admin) },
		"http_steps":  func(_, v *yaml.Node) { p.httpSteps(v, &cfg.HTTPSteps) },
		"expressions": func(_, v *yaml.Node) { p.expressions(v, &cfg.Expressions) },
		"health":      func(_, v *yaml.Node) { p.health(v, &cfg.Health) },
		"outbox":      func(_, v *yaml.Node) { p.outbox(v, &cfg.Outbox) },
		"pacing":      func(_, v *yaml.Node) { p.pacing(v, &cfg.Pacing) },
		"rates":       func(_, v *yaml.Node) { p.rates(v, &cfg.Rates) },
	})
	if root.Kind != yaml.MappingNode {
		return nil
	}
	if seen["flows"] == nil {
		p.errorf(yamlfile.CodeMissingKey, root, "missing key `flows`: the folder of flow files")
	}
	if whatsappKey == nil {
		p.errorf(yamlfile.CodeMissingKey, root, "missing key `whatsapp` with app_secret and verify_token")
	} else {
		if !cfg.WhatsApp.AppSecret.IsSet() && !p.reported["whatsapp.app_secret"] {
			p.errorf(yamlfile.CodeMissingKey, whatsappKey, "whatsapp.app_secret is required: it checks the X-Hub-Signature-256 of every webhook")
		}
		if !cfg.WhatsApp.VerifyToken.IsSet() && !p.reported["whatsapp.verify_token"] {
			p.errorf(yamlfile.CodeMissingKey, whatsappKey, "whatsapp.verify_token is required: Meta sends it in the webhook verification handshake")
		}
	}
	if numbersKey == nil {
		p.errorf(yamlfile.CodeMissingKey, root, "missing key `numbers`: the business numbers, one of them with role inbox")
	} else {
		p.checkInbox(numbersKey, cfg.Numbers)
	}
	p.checkCampaignNames(cfg, numNodes, campNodes)
	p.settlePolicies(cfg, numNodes, campNodes, defaultPolicyNode)
	return cfg
}

// yamlError reports a YAML syntax error at the line yaml.v3 names; an error without one
// (the text ended inside a quote, say) is placed on the last line, where the reader looks
// for what was left open.
func (p *parser) yamlError(err error, lastLine int) {
	for _, se := range yamlfile.SyntaxErrors(err) {
		line := se.Line
		if line == 0 {
			line = lastLine
		}
		p.diags = append(p.diags, Diagnostic{File: p.file, Line: line, Code: yamlfile.CodeYAMLSyntax, Message: "invalid YAML: " + se.Msg})
	}
}

func (p *parser) whatsapp(v *yaml.Node, w *WhatsApp) {
	p.mapping(v, "whatsapp", FormatSpec().Field("whatsapp").Spec, map[string]func(k, v *yaml.Node){
		"app_secret":   func(_, v *yaml.Node) { w.AppSecret = Secret(p.secret(v, "whatsapp.app_secret")) },
		"verify_token": func(_, v *yaml.Node) { w.VerifyToken = Secret(p.secret(v, "whatsapp.verify_token")) },
		"graph_url": func(_, v *yaml.Node) {
			s := strings.TrimRight(p.str(v, "whatsapp.graph_url"), "/")
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				p.errorf(yamlfile.CodeBadValue, v, "whatsapp.graph_url must be an http(s) URL such as %s, found %q", DefaultGraphURL, s)
				return
			}
			w.GraphURL = s
		},
		"graph_version": func(_, v *yaml.Node) {
			s := p.str(v, "whatsapp.graph_version")
			if !regexp.MustCompile(`^v[0-9]+\.[0-9]+$`).MatchString(s) {
				p.errorf(yamlfile.CodeBadValue, v, "whatsapp.graph_version must look like %s, found %q", DefaultGraphVersion, s)
				return
			}
			w.GraphVersion = s
		},
		"mark_read": func(_, v *yaml.Node) { w.MarkRead = p.boolean(v, "whatsapp.mark_read") },
	})
}

// numberNodes are the nodes of one number's routing keys (nil when absent), parallel to
// Config.Numbers, for diagnostics that concern routing.
type numberNodes struct {
	policy, campaign *yaml.Node
}

// campaignNodes are the nodes of one campaigns entry, parallel to Config.Campaigns.
type campaignNodes struct {
	key, policy *yaml.Node
}

var digits = regexp.MustCompile(`^[0-9]+$`)

func (p *parser) numbers(v *yaml.Node, cfg *Config) []numberNodes {
	if v.Kind != yaml.SequenceNode {
		p.errorf(yamlfile.CodeWrongType, v, "numbers must be a list of business numbers, found %s", yamlfile.Quote(v))
		return nil
	}
	var nodes []numberNodes
	ids := map[string]int{}
	firstInbox := 0
	spec := FormatSpec().Field("numbers").Spec.Elem
	for i, item := range v.Content {
		what := fmt.Sprintf("numbers[%d]", i)
		n := Number{Line: item.Line}
		var roleNode, policyNode, campaignNode *yaml.Node
		seen := p.mapping(item, what, spec, map[string]func(k, v *yaml.Node){
			"id": func(_, v *yaml.Node) {
				n.ID = p.str(v, what+".id")
				if n.ID != "" && !digits.MatchString(n.ID) {
					p.errorf(yamlfile.CodeBadValue, v, "%s.id must be Meta's phone number id (digits only), found %q", what, n.ID)
				}
				if first, dup := ids[n.ID]; dup && n.ID != "" {
					p.errorf(yamlfile.CodeDuplicate, v, "number id %s appears twice; the first is at line %d", n.ID, first)
				} else if n.ID != "" {
					ids[n.ID] = item.Line
				}
			},
			"display": func(_, v *yaml.Node) {
				n.Display = p.str(v, what+".display")
				if d := strings.NewReplacer("+", "", " ", "", "-", "").Replace(n.Display); n.Display != "" && !digits.MatchString(d) {
					p.errorf(yamlfile.CodeBadValue, v, "%s.display must be a phone number such as +966 50 123 4567, found %q", what, n.Display)
				}
			},
			"role": func(_, v *yaml.Node) {
				roleNode = v
				n.Role = Role(p.oneOf(v, what+".role", spec.Field("role").Spec.Enum...))
			},
			"waba": func(_, v *yaml.Node) {
				n.WABA = p.str(v, what+".waba")
				if n.WABA != "" && !digits.MatchString(n.WABA) {
					p.errorf(yamlfile.CodeBadValue, v, "%s.waba must be the WhatsApp Business Account id (digits only), found %q", what, n.WABA)
				}
			},
			"portfolio":  func(_, v *yaml.Node) { n.Portfolio = p.str(v, what+".portfolio") },
			"token":      func(_, v *yaml.Node) { n.Token = Secret(p.secret(v, what+".token")) },
			"throughput": func(_, v *yaml.Node) { n.Throughput = p.integer(v, what+".throughput", 1) },
			"campaign": func(_, v *yaml.Node) {
				campaignNode = v
				n.Campaign = p.str(v, what+".campaign")
			},
			"policy": func(_, v *yaml.Node) {
				policyNode = v
				n.Policy = Policy(p.oneOf(v, what+".policy", policies()...))
			},
			"ramp": func(_, v *yaml.Node) { n.Ramp = p.ramp(v, what+".ramp") },
		})
		if item.Kind != yaml.MappingNode {
			continue
		}
		for _, f := range spec.Missing(func(k string) bool { return seen[k] != nil }) {
			p.errorf(yamlfile.CodeMissingKey, item, "%s: missing key `%s` (%s)", what, f.Name, f.Why)
		}
		if seen["token"] != nil && !n.Token.IsSet() && !p.reported[what+".token"] {
			p.errorf(yamlfile.CodeMissingKey, seen["token"], "%s.token is empty", what)
		}
		if n.Throughput == 0 {
			n.Throughput = DefaultThroughput
		}
		if n.Role == RoleInbox {
			if firstInbox != 0 {
				p.errorf(yamlfile.CodeDuplicate, roleNode, "a second number with role inbox; the first is at line %d: exactly one number is the central inbox", firstInbox)
			} else {
				firstInbox = item.Line
			}
			if policyNode != nil {
				p.errorf(yamlfile.CodeConflict, policyNode, "%s: policy applies to campaign numbers only; the inbox number is where conversations are routed to", what)
			}
			if campaignNode != nil {
				p.errorf(yamlfile.CodeConflict, campaignNode, "%s: campaign applies to campaign numbers only", what)
			}
		}
		cfg.Numbers = append(cfg.Numbers, n)
		nodes = append(nodes, numberNodes{policy: policyNode, campaign: campaignNode})
	}
	return nodes
}

// checkInbox requires an inbox number; numbers reports a second one.
func (p *parser) checkInbox(key *yaml.Node, numbers []Number) {
	for _, n := range numbers {
		if n.Role == RoleInbox {
			return
		}
	}
	p.errorf(yamlfile.CodeMissingKey, key, "numbers: no number has role inbox; exactly one number must be the central inbox")
}

// policies returns the routing policies, as the spec lists them.
func policies() []string { return FormatSpec().Field("routing").Spec.Field("default_policy").Spec.Enum }

// routing reads the routing section and returns the default_policy node (nil when absent).
func (p *parser) routing(v *yaml.Node, r *Routing) *yaml.Node {
	var def *yaml.Node
	p.mapping(v, "routing", FormatSpec().Field("routing").Spec, map[string]func(k, v *yaml.Node){
		"default_policy": func(_, v *yaml.Node) {
			if s := p.oneOf(v, "routing.default_policy", policies()...); s != "" {
				r.DefaultPolicy = Policy(s)
				def = v
			}
		},
		"link_text":       func(_, v *yaml.Node) { r.LinkText = p.linkText(v, "routing.link_text") },
		"link_prefill":    func(_, v *yaml.Node) { r.LinkPrefill = p.str(v, "routing.link_prefill") },
		"bridge_template": func(_, v *yaml.Node) { r.BridgeTemplate = p.template(v, "routing.bridge_template") },
		"window_template": func(_, v *yaml.Node) { r.WindowTemplate = p.template(v, "routing.window_template") },
		"redirect_every":  p.durationInto(&r.RedirectEvery, "routing.redirect_every", false),
	})
	return def
}

func (p *parser) linkText(v *yaml.Node, what string) string {
	s := p.str(v, what)
	if s != "" && !strings.Contains(s, "{link}") {
		p.errorf(yamlfile.CodeBadValue, v, "%s must contain {link}, which becomes the wa.me link to the inbox number", what)
	}
	return s
}

// campaigns reads the campaigns section: a mapping of campaign name to the routing keys
// that campaign overrides.
func (p *parser) campaigns(v *yaml.Node, cfg *Config) []campaignNodes {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		p.errorf(yamlfile.CodeWrongType, v, "campaigns must be a mapping of campaign names to their routing, found %s", yamlfile.Quote(v))
		return nil
	}
	var nodes []campaignNodes
	lines := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, body := v.Content[i], v.Content[i+1]
		name := p.str(k, "a campaign name")
		if name == "" {
			p.errorf(yamlfile.CodeMissingKey, k, "a campaign name is empty")
			continue
		}
		if first, dup := lines[name]; dup {
			p.errorf(yamlfile.CodeDuplicate, k, "campaign `%s` appears twice in campaigns; the first is at line %d", name, first)
			continue
		}
		lines[name] = k.Line
		what := "campaigns." + name
		c := Campaign{Name: name, Line: k.Line}
		cn := campaignNodes{key: k}
		p.mapping(body, what, FormatSpec().Field("campaigns").Spec.Elem, map[string]func(k, v *yaml.Node){
			"policy": func(_, v *yaml.Node) {
				if s := p.oneOf(v, what+".policy", policies()...); s != "" {
					c.Policy = Policy(s)
					cn.policy = v
				}
			},
			"link_text":       func(_, v *yaml.Node) { c.LinkText = p.linkText(v, what+".link_text") },
			"link_prefill":    func(_, v *yaml.Node) { c.LinkPrefill = p.str(v, what+".link_prefill") },
			"bridge_template": func(_, v *yaml.Node) { c.BridgeTemplate = p.template(v, what+".bridge_template") },
			"window_template": func(_, v *yaml.Node) { c.WindowTemplate = p.template(v, what+".window_template") },
		})
		cfg.Campaigns = append(cfg.Campaigns, c)
		nodes = append(nodes, cn)
	}
	return nodes
}

// checkCampaignNames reports a campaigns entry that no number sends (a policy that would
// never apply, most often a misspelt name) and, beside it, the number whose campaign name
// is probably the misspelling.
func (p *parser) checkCampaignNames(cfg *Config, nums []numberNodes, camps []campaignNodes) {
	sent := map[string]bool{}
	var names []string
	for _, n := range cfg.Numbers {
		if n.Role == RoleCampaign && n.Campaign != "" && !sent[n.Campaign] {
			sent[n.Campaign] = true
			names = append(names, n.Campaign)
		}
	}
	var orphans []string
	for i, c := range cfg.Campaigns {
		if sent[c.Name] {
			continue
		}
		orphans = append(orphans, c.Name)
		p.errorf(yamlfile.CodeUndefinedTarget, camps[i].key, "campaigns: no campaign number sends campaign `%s` (a number names its campaign with `campaign:`)%s", c.Name, yamlfile.DidYouMean(c.Name, names))
	}
	for i, n := range cfg.Numbers {
		if n.Role != RoleCampaign || n.Campaign == "" || i >= len(nums) || nums[i].campaign == nil {
			continue
		}
		if _, ok := cfg.Campaign(n.Campaign); ok {
			continue
		}
		if s := yamlfile.Suggest(n.Campaign, orphans); s != "" {
			c, _ := cfg.Campaign(s)
			p.errorf(yamlfile.CodeUndefinedTarget, nums[i].campaign, "numbers[%d].campaign `%s` is not in campaigns; did you mean `%s` (line %d)?", i, n.Campaign, s, c.Line)
		}
	}
}

// settlePolicies fills each campaign number's Policy (its own, else its campaign's, else
// routing.default_policy) and requires a bridge template wherever bridge is chosen,
// reporting the missing template once at the key that chose bridge.
func (p *parser) settlePolicies(cfg *Config, nums []numberNodes, camps []campaignNodes, defNode *yaml.Node) {
	reported := map[*yaml.Node]bool{}
	for i := range cfg.Numbers {
		n := &cfg.Numbers[i]
		if n.Role != RoleCampaign {
			continue
		}
		camp, _ := cfg.Campaign(n.Campaign)
		var chose *yaml.Node
		switch {
		case n.Policy != "":
			if i < len(nums) {
				chose = nums[i].policy
			}
		case camp.Policy != "":
			n.Policy = camp.Policy
			for j, c := range cfg.Campaigns {
				if c.Name == camp.Name {
					chose = camps[j].policy
				}
			}
		default:
			n.Policy = cfg.Routing.DefaultPolicy
			chose = defNode
		}
		if n.Policy != PolicyBridge || camp.BridgeTemplate.IsSet() || cfg.Routing.BridgeTemplate.IsSet() {
			continue
		}
		if chose == nil { // bridge by default without a default_policy key cannot happen
			continue
		}
		if reported[chose] {
			continue
		}
		reported[chose] = true
		where := "routing.bridge_template"
		if n.Campaign != "" && chose != defNode {
			where += " or campaigns." + n.Campaign + ".bridge_template"
		}
		p.errorf(yamlfile.CodeMissingKey, chose, "policy bridge needs a bridge template, the approved template the inbox number opens the conversation with: set %s", where)
	}
}

func (p *parser) template(v *yaml.Node, what string) Template {
	var t Template
	spec := FormatSpec().Field("routing").Spec.Field("bridge_template").Spec
	seen := p.mapping(v, what, spec, map[string]func(k, v *yaml.Node){
		"name":     func(_, v *yaml.Node) { t.Name = p.str(v, what+".name") },
		"language": func(_, v *yaml.Node) { t.Language = p.str(v, what+".language") },
		"params": func(_, v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				p.errorf(yamlfile.CodeWrongType, v, "%s.params must be a list of body parameters, found %s", what, yamlfile.Quote(v))
				return
			}
			for i, x := range v.Content {
				t.Params = append(t.Params, p.str(x, fmt.Sprintf("%s.params[%d]", what, i)))
			}
		},
	})
	if v.Kind == yaml.MappingNode {
		given := map[string]string{"name": t.Name, "language": t.Language}
		for _, f := range spec.Missing(func(k string) bool { return seen[k] != nil && given[k] != "" }) {
			p.errorf(yamlfile.CodeMissingKey, v, "%s: missing key `%s` (%s)", what, f.Name, f.Why)
		}
	}
	return t
}

func (p *parser) state(v *yaml.Node, s *State) {
	p.mapping(v, "state", FormatSpec().Field("state").Spec, map[string]func(k, v *yaml.Node){
		"session_idle":      p.durationInto(&s.SessionIdle, "state.session_idle", true),
		"history_retention": p.durationInto(&s.HistoryRetention, "state.history_retention", true),
		"dedupe_period":     p.durationInto(&s.DedupePeriod, "state.dedupe_period", true),
	})
}

func (p *parser) outbox(v *yaml.Node, o *Outbox) {
	var maxNode, leaseNode *yaml.Node
	p.mapping(v, "outbox", FormatSpec().Field("outbox").Spec, map[string]func(k, v *yaml.Node){
		"retry_first":   p.durationInto(&o.RetryFirst, "outbox.retry_first", false),
		"retry_max":     func(k, v *yaml.Node) { maxNode = v; p.durationInto(&o.RetryMax, "outbox.retry_max", false)(k, v) },
		"give_up_after": p.durationInto(&o.GiveUpAfter, "outbox.give_up_after", false),
		"lease":         func(k, v *yaml.Node) { leaseNode = v; p.durationInto(&o.Lease, "outbox.lease", false)(k, v) },
	})
	if o.RetryMax < o.RetryFirst {
		n := maxNode
		if n == nil {
			n = v
		}
		p.errorf(yamlfile.CodeBadValue, n, "outbox.retry_max (%s) is shorter than outbox.retry_first (%s): the waits between attempts would never grow",
			yamlfile.FormatDuration(o.RetryMax), yamlfile.FormatDuration(o.RetryFirst))
	}
	if leaseNode != nil && o.Lease < time.Second {
		p.errorf(yamlfile.CodeBadValue, leaseNode, "outbox.lease must be at least 1s, found %s: a lease that short runs out while Meta answers, and replies go out twice",
			yamlfile.FormatDuration(o.Lease))
	}
}

func (p *parser) limits(v *yaml.Node, l *Limits) {
	p.mapping(v, "limits", FormatSpec().Field("limits").Spec, map[string]func(k, v *yaml.Node){
		"workers": func(_, v *yaml.Node) {
			if n := p.integer(v, "limits.workers", 1); n > 0 {
				l.Workers = n
			}
		},
		"timer_interval":   p.durationInto(&l.TimerInterval, "limits.timer_interval", false),
		"refresh_interval": p.durationInto(&l.RefreshInterval, "limits.refresh_interval", true),
		"reload_interval":  p.durationInto(&l.ReloadInterval, "limits.reload_interval", true),
		"shutdown_timeout": p.durationInto(&l.ShutdownTimeout, "limits.shutdown_timeout", false),
		"shed_lag":         p.durationInto(&l.ShedLag, "limits.shed_lag", true),
		"refuse_lag":       p.durationInto(&l.RefuseLag, "limits.refuse_lag", true),
		"shed_depth":       func(_, v *yaml.Node) { l.ShedDepth = p.integer(v, "limits.shed_depth", 0) },
		"refuse_depth":     func(_, v *yaml.Node) { l.RefuseDepth = p.integer(v, "limits.refuse_depth", 0) },
		"webhook_concurrency": func(_, v *yaml.Node) {
			l.WebhookConcurrency = p.integer(v, "limits.webhook_concurrency", 0)
		},
	})
}

// durationInto returns the mapping handler of a duration key: a valid value replaces the
// default in *dst, a bad one is reported and leaves the default.
func (p *parser) durationInto(dst *time.Duration, what string, allowZero bool) func(k, v *yaml.Node) {
	return func(_, v *yaml.Node) {
		if d, ok := p.duration(v, what, allowZero); ok {
			*dst = d
		}
	}
}
