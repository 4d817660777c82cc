package inbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Role is what an agent may do.
type Role string

// Agent roles. An admin sees and acts on every queue; an agent only on its own queues.
const (
	RoleAgent Role = "agent"
	RoleAdmin Role = "admin"
)

// Config is the inbox's validated configuration.
type Config struct {
	// File is the path the configuration was read from.
	File string
	// Queues in file order.
	Queues []Queue
	// Agents in file order.
	Agents []Agent
}

// Queue is a team of agents that a hand-off names.
type Queue struct {
	Name  string
	Title string // shown to agents; defaults to Name
	// FirstResponse is the SLA target from the hand-off to the first agent reply; 0: none.
	FirstResponse time.Duration
	// NextResponse is the SLA target from a customer message to the agent's answer; 0: none.
	NextResponse time.Duration
	// Canned replies, offered with the `/` shortcut.
	Canned []Canned
	// Templates are the approved templates agents may send, the only choice outside the
	// 24-hour window.
	Templates []Template
}

// Canned is a prepared reply. Its text may hold {{contact_name}}, {{agent_name}} and
// {{queue}}, filled in when it is offered.
type Canned struct {
	Shortcut string `json:"shortcut"`
	Text     string `json:"text"`
}

// Template is an approved WhatsApp template an agent may send, with its pricing category
// (marketing, utility or authentication) so the composer can say what it costs.
type Template struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Category string   `json:"category"`
	Params   []string `json:"params,omitempty"` // may use the canned placeholders
	Preview  string   `json:"preview,omitempty"`
}

// Agent is a person who signs in to the inbox.
type Agent struct {
	ID     string
	Name   string
	Role   Role
	Queues []string
	// TokenHash is the SHA-256 of the agent's bearer token; the token itself is never kept.
	TokenHash [sha256.Size]byte
}

// InQueue reports whether the agent may work on queue: admins may work on all.
func (a *Agent) InQueue(queue string) bool {
	return a.Role == RoleAdmin || slices.Contains(a.Queues, queue)
}

// Queue returns the queue named name.
func (c *Config) Queue(name string) (*Queue, bool) {
	for i := range c.Queues {
		if c.Queues[i].Name == name {
			return &c.Queues[i], true
		}
	}
	return nil, false
}

// Agent returns the agent with id.
func (c *Config) Agent(id string) (*Agent, bool) {
	for i := range c.Agents {
		if c.Agents[i].ID == id {
			return &c.Agents[i], true
		}
	}
	return nil, false
}

// HashToken returns the hex SHA-256 of token: what the configuration's token_sha256 holds.
// `printf %s "$TOKEN" | sha256sum` computes the same.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Diagnostic is one problem of the configuration file, placed at its line and column.
type Diagnostic struct {
	File         string
	Line, Column int
	Message      string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Line, d.Column, d.Message)
}

// Diagnostics is every problem found in one file; as an error it prints one per line.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// LoadConfig reads and checks the inbox configuration at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading inbox configuration: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig checks the inbox configuration data read from file. It reports every
// problem, each as file:line:col, as Diagnostics.
func ParseConfig(file string, data []byte) (*Config, error) {
	p := &cfgParser{file: file}
	cfg := p.parse(data)
	if len(p.diags) > 0 {
		return nil, p.diags
	}
	return cfg, nil
}

type cfgParser struct {
	file  string
	diags Diagnostics
}

func (p *cfgParser) errorf(n *yaml.Node, format string, args ...any) {
	p.diags = append(p.diags, Diagnostic{File: p.file, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)})
}

// mapping walks a mapping node, calling the handler of each known key; an unknown or
// repeated key is reported with the keys that are allowed.
func (p *cfgParser) mapping(n *yaml.Node, what string, known map[string]func(v *yaml.Node)) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping of keys to values", what)
		return false
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			p.errorf(k, "%s: key `%s` appears twice (first at line %d)", what, k.Value, prev.Line)
			continue
		}
		seen[k.Value] = k
		h, ok := known[k.Value]
		if !ok {
			keys := make([]string, 0, len(known))
			for name := range known {
				keys = append(keys, name)
			}
			sort.Strings(keys)
			p.errorf(k, "%s: unknown key `%s`; expected one of %s", what, k.Value, strings.Join(keys, ", "))
			continue
		}
		h(v)
	}
	return true
}

func (p *cfgParser) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a text", what)
		return ""
	}
	return n.Value
}

func (p *cfgParser) strs(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, such as [a, b]", what)
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, what))
	}
	return out
}

func (p *cfgParser) duration(n *yaml.Node, what string) time.Duration {
	s := p.str(n, what)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		p.errorf(n, "%s must be a duration such as 15m or 2h, found %q", what, s)
		return 0
	}
	return d
}

func (p *cfgParser) parse(data []byte) *Config {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		p.errorf(&yaml.Node{Line: 1, Column: 1}, "the inbox configuration is empty; it needs `queues` and `agents` (see docs/inbox.md)")
		return nil
	}
	if err != nil {
		p.errorf(&yaml.Node{Line: 1, Column: 1}, "not valid YAML: %v", err)
		return nil
	}
	if len(doc.Content) == 0 {
		p.errorf(&yaml.Node{Line: 1, Column: 1}, "the inbox configuration is empty; it needs `queues` and `agents` (see docs/inbox.md)")
		return nil
	}
	root := doc.Content[0]
	cfg := &Config{File: p.file}
	var queuesNode, agentsNode *yaml.Node
	if !p.mapping(root, "the inbox configuration", map[string]func(v *yaml.Node){
		"queues": func(v *yaml.Node) { queuesNode = v },
		"agents": func(v *yaml.Node) { agentsNode = v },
	}) {
		return nil
	}
	if queuesNode == nil {
		p.errorf(root, "missing key `queues`: the teams a hand-off names")
	} else {
		p.queues(queuesNode, cfg)
	}
	if agentsNode == nil {
		p.errorf(root, "missing key `agents`: the people who sign in")
	} else {
		p.agents(agentsNode, cfg)
	}
	return cfg
}

func (p *cfgParser) queues(n *yaml.Node, cfg *Config) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "queues must map each queue's name to its settings")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		q := Queue{Name: k.Value, Title: k.Value}
		what := "queue " + q.Name
		if _, dup := cfg.Queue(q.Name); dup {
			p.errorf(k, "queue %q is declared twice", q.Name)
			continue
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			cfg.Queues = append(cfg.Queues, q)
			continue
		}
		p.mapping(v, what, map[string]func(v *yaml.Node){
			"title": func(v *yaml.Node) { q.Title = p.str(v, what+": title") },
			"sla": func(v *yaml.Node) {
				p.mapping(v, what+": sla", map[string]func(v *yaml.Node){
					"first_response": func(v *yaml.Node) { q.FirstResponse = p.duration(v, what+": sla.first_response") },
					"next_response":  func(v *yaml.Node) { q.NextResponse = p.duration(v, what+": sla.next_response") },
				})
			},
			"canned":    func(v *yaml.Node) { q.Canned = p.canned(v, what) },
			"templates": func(v *yaml.Node) { q.Templates = p.templates(v, what) },
		})
		cfg.Queues = append(cfg.Queues, q)
	}
}

func (p *cfgParser) canned(n *yaml.Node, what string) []Canned {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: canned must be a list of {shortcut, text}", what)
		return nil
	}
	var out []Canned
	for _, item := range n.Content {
		var c Canned
		p.mapping(item, what+": canned reply", map[string]func(v *yaml.Node){
			"shortcut": func(v *yaml.Node) { c.Shortcut = strings.TrimPrefix(p.str(v, what+": shortcut"), "/") },
			"text":     func(v *yaml.Node) { c.Text = p.str(v, what+": text") },
		})
		if item.Kind == yaml.MappingNode && (c.Shortcut == "" || c.Text == "") {
			p.errorf(item, "%s: a canned reply needs both `shortcut` and `text`", what)
			continue
		}
		out = append(out, c)
	}
	return out
}

var categories = []string{"marketing", "utility", "authentication"}

func (p *cfgParser) templates(n *yaml.Node, what string) []Template {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s: templates must be a list of {name, language, category}", what)
		return nil
	}
	var out []Template
	for _, item := range n.Content {
		t := Template{Category: "utility"}
		p.mapping(item, what+": template", map[string]func(v *yaml.Node){
			"name":     func(v *yaml.Node) { t.Name = p.str(v, what+": template name") },
			"language": func(v *yaml.Node) { t.Language = p.str(v, what+": template language") },
			"params":   func(v *yaml.Node) { t.Params = p.strs(v, what+": template params") },
			"preview":  func(v *yaml.Node) { t.Preview = p.str(v, what+": template preview") },
			"category": func(v *yaml.Node) {
				t.Category = p.str(v, what+": template category")
				if !slices.Contains(categories, t.Category) {
					p.errorf(v, "%s: template category must be one of %s, found %q", what, strings.Join(categories, ", "), t.Category)
				}
			},
		})
		if item.Kind == yaml.MappingNode && (t.Name == "" || t.Language == "") {
			p.errorf(item, "%s: a template needs `name` and `language` (the approved template's language code, such as ar or en_US)", what)
			continue
		}
		out = append(out, t)
	}
	return out
}

func (p *cfgParser) agents(n *yaml.Node, cfg *Config) {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "agents must be a list of {id, name, role, queues, token_sha256}")
		return
	}
	hashes := map[[sha256.Size]byte]string{}
	for _, item := range n.Content {
		a := Agent{Role: RoleAgent}
		var hashNode *yaml.Node
		var queueNodes []*yaml.Node
		if !p.mapping(item, "agent", map[string]func(v *yaml.Node){
			"id":   func(v *yaml.Node) { a.ID = p.str(v, "agent id") },
			"name": func(v *yaml.Node) { a.Name = p.str(v, "agent name") },
			"role": func(v *yaml.Node) {
				a.Role = Role(p.str(v, "agent role"))
				if a.Role != RoleAgent && a.Role != RoleAdmin {
					p.errorf(v, "agent role must be agent or admin, found %q", a.Role)
				}
			},
			"queues": func(v *yaml.Node) {
				a.Queues = p.strs(v, "agent queues")
				if v.Kind == yaml.SequenceNode {
					queueNodes = v.Content
				}
			},
			"token_sha256": func(v *yaml.Node) { hashNode = v },
		}) {
			continue
		}
		if a.ID == "" {
			p.errorf(item, "an agent needs an `id` (a short name such as sara)")
			continue
		}
		if _, dup := cfg.Agent(a.ID); dup {
			p.errorf(item, "agent %q is declared twice", a.ID)
			continue
		}
		if a.Name == "" {
			a.Name = a.ID
		}
		for i, q := range a.Queues {
			if _, ok := cfg.Queue(q); !ok && i < len(queueNodes) {
				p.errorf(queueNodes[i], "agent %s: no queue %q is declared under `queues`", a.ID, q)
			}
		}
		if hashNode == nil {
			p.errorf(item, "agent %s: missing `token_sha256`, the SHA-256 of the agent's sign-in token (printf %%s \"$TOKEN\" | sha256sum)", a.ID)
			continue
		}
		h, err := parseHash(p.str(hashNode, "token_sha256"))
		if err != nil {
			p.errorf(hashNode, "agent %s: token_sha256 %v", a.ID, err)
			continue
		}
		if other, dup := hashes[h]; dup {
			p.errorf(hashNode, "agent %s has the same token as agent %s; give each agent a token of its own", a.ID, other)
			continue
		}
		hashes[h] = a.ID
		a.TokenHash = h
		cfg.Agents = append(cfg.Agents, a)
	}
}

var errHashShape = errors.New("must be 64 hexadecimal digits (the SHA-256 of the token, not the token itself)")

func parseHash(s string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != sha256.Size {
		return h, errHashShape
	}
	copy(h[:], b)
	return h, nil
}
