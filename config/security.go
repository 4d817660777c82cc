package config

import (
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// Defaults of the http_steps section.
const (
	DefaultHTTPMaxBody      = 1 << 20 // bytes of an answer an http step reads
	DefaultHTTPMaxRedirects = 3
)

// Metrics says where /metrics is served. With neither key it is not served: it names
// the business numbers and their states, and is not for the public internet.
type Metrics struct {
	// Token, when set, is the bearer token a scrape must send (Authorization: Bearer).
	Token Secret
	// Listen, when set, is a host:port of its own for /metrics, apart from the webhook's.
	Listen string
}

// HTTPSteps bounds what the flows' http steps may do.
type HTTPSteps struct {
	// MaxBody is the most bytes of an answer a step reads; a longer answer fails the step.
	MaxBody int64
	// MaxRedirects is how many redirects a step follows; never to another scheme.
	MaxRedirects int
	// BlockInternal refuses connections to loopback, private, link-local (cloud
	// metadata) and other non-public addresses, checked on the address dialled.
	BlockInternal bool
	// AllowHosts are host names (or host:port) a step may reach even when they resolve to
	// an internal address: the business's own backend.
	AllowHosts []string
}

func (p *parser) metrics(v *yaml.Node, m *Metrics) {
	p.mapping(v, "metrics", FormatSpec().Field("metrics").Spec, map[string]func(k, v *yaml.Node){
		"token": func(_, v *yaml.Node) { m.Token = Secret(p.secret(v, "metrics.token")) },
		"listen": func(_, v *yaml.Node) {
			s := p.str(v, "metrics.listen")
			if _, _, err := net.SplitHostPort(s); err != nil {
				p.errorf(yamlfile.CodeBadValue, v, "metrics.listen must be host:port or :port, found %q", s)
				return
			}
			m.Listen = s
		},
	})
}

// Admin protects the admin HTTP API (/api/campaigns).
type Admin struct {
	// Token is the bearer token every admin request must send; empty: the admin API is
	// not served.
	Token Secret
}

func (p *parser) admin(v *yaml.Node, a *Admin) {
	p.mapping(v, "admin", FormatSpec().Field("admin").Spec, map[string]func(k, v *yaml.Node){
		"token": func(_, v *yaml.Node) { a.Token = Secret(p.secret(v, "admin.token")) },
	})
}

func (p *parser) httpSteps(v *yaml.Node, h *HTTPSteps) {
	p.mapping(v, "http_steps", FormatSpec().Field("http_steps").Spec, map[string]func(k, v *yaml.Node){
		"max_body": func(_, v *yaml.Node) {
			if n, ok := p.size(v, "http_steps.max_body"); ok {
				h.MaxBody = n
			}
		},
		"max_redirects": func(_, v *yaml.Node) {
			if p.str(v, "http_steps.max_redirects") == "0" {
				h.MaxRedirects = -1 // none
				return
			}
			if n := p.integer(v, "http_steps.max_redirects", 0); n > 0 {
				if n > 10 {
					p.errorf(yamlfile.CodeBadValue, v, "http_steps.max_redirects must be at most 10, found %d", n)
					return
				}
				h.MaxRedirects = n
			}
		},
		"block_internal": func(_, v *yaml.Node) { h.BlockInternal = p.boolean(v, "http_steps.block_internal") },
		"allow_hosts": func(_, v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				p.errorf(yamlfile.CodeWrongType, v, "http_steps.allow_hosts must be a list of host names, found %s", yamlfile.Quote(v))
				return
			}
			for _, item := range v.Content {
				s := strings.ToLower(p.str(item, "http_steps.allow_hosts entry"))
				if s == "" || strings.ContainsAny(s, "/@ ") {
					p.errorf(yamlfile.CodeBadValue, item, "http_steps.allow_hosts entries are host names such as orders.internal or orders.internal:8443, found %q", s)
					continue
				}
				h.AllowHosts = append(h.AllowHosts, s)
			}
		},
	})
}

var sizeRE = regexp.MustCompile(`^(?i)([0-9]+)\s*(b|kb|kib|mb|mib)?$`)

// size reads a byte count: 1048576, 512KiB, 2MB (KB and MB are 1000-based, KiB and MiB
// 1024-based).
func (p *parser) size(n *yaml.Node, what string) (int64, bool) {
	s := p.str(n, what)
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		p.errorf(yamlfile.CodeBadValue, n, "%s must be a size such as 1048576, 512KiB or 2MiB, found %q", what, s)
		return 0, false
	}
	v, err := strconv.ParseInt(m[1], 10, 64)
	mult := map[string]int64{"": 1, "b": 1, "kb": 1000, "kib": 1 << 10, "mb": 1000 * 1000, "mib": 1 << 20}[strings.ToLower(m[2])]
	if err != nil || v <= 0 || v > (1<<40)/mult {
		p.errorf(yamlfile.CodeBadValue, n, "%s must be a positive size of at most 1TiB, found %q", what, s)
		return 0, false
	}
	return v * mult, true
}

// Expressions bounds each evaluation of a flow expression or template; going over is an
// error for that one conversation (see expr.Budget, which owns the defaults: a zero field
// here means its default).
type Expressions struct {
	Timeout  time.Duration
	MaxSize  int // bytes of a text built
	MaxItems int // list items, map entries and range elements created
}

func (p *parser) expressions(v *yaml.Node, e *Expressions) {
	p.mapping(v, "expressions", FormatSpec().Field("expressions").Spec, map[string]func(k, v *yaml.Node){
		"timeout": p.durationInto(&e.Timeout, "expressions.timeout", false),
		"max_size": func(_, v *yaml.Node) {
			if n, ok := p.size(v, "expressions.max_size"); ok {
				if n > 64<<20 {
					p.errorf(yamlfile.CodeBadValue, v, "expressions.max_size must be at most 64MiB, found %d bytes", n)
					return
				}
				e.MaxSize = int(n)
			}
		},
		"max_items": func(_, v *yaml.Node) {
			if n := p.integer(v, "expressions.max_items", 1); n > 0 {
				e.MaxItems = n
			}
		},
	})
}
