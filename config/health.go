package config

import (
	"net/url"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wasla/wasla/yamlfile"
)

// Defaults of the health section (campaigns/health.DefaultPolicy documents why).
const (
	DefaultHealthInterval = 5 * time.Minute
	DefaultSlowBelow      = 80
	DefaultStopBelow      = 40
	DefaultMinAllowance   = 25 // percent
	DefaultResumeAbove    = 70
	DefaultCleanDays      = 2
)

// Health configures the number health loop of wasla serve: how often Meta's word on each
// number is read and each number judged, the policy's thresholds (scores are 0 to 100),
// the negative reply phrases and the operator's webhook. Package campaigns/health owns
// the meaning; this holds the values.
type Health struct {
	// Interval is how often one replica polls the Graph API and judges every number; 0:
	// never (signals are still counted).
	Interval time.Duration
	// Zone is the IANA zone of the daily buckets ("" : UTC).
	Zone string
	// SlowBelow, StopBelow, ResumeAbove are scores; MinAllowance a percent; CleanDays days.
	SlowBelow, StopBelow, ResumeAbove, MinAllowance, CleanDays int
	// NegativePhrases replace the default list when set.
	NegativePhrases []string
	// WebhookURL, when set, receives every change signed with WebhookSecret.
	WebhookURL    string
	WebhookSecret Secret
}

// defaultHealth is the section's value when the file leaves it out.
func defaultHealth() Health {
	return Health{Interval: DefaultHealthInterval, SlowBelow: DefaultSlowBelow, StopBelow: DefaultStopBelow,
		MinAllowance: DefaultMinAllowance, ResumeAbove: DefaultResumeAbove, CleanDays: DefaultCleanDays}
}

func healthSpec() *yamlfile.Spec {
	score := func(def int, doc string) *yamlfile.Field {
		return &yamlfile.Field{Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0), Max: yamlfile.IntPtr(100)}, Default: def, Doc: doc}
	}
	named := func(name string, f *yamlfile.Field) *yamlfile.Field { f.Name = name; return f }
	return &yamlfile.Spec{Kind: yamlfile.KindObject, What: "health", Doc: "Number health: the loop that reads Meta's word on each number and the policy that slows, stops and resumes campaign numbers (docs/campaigns.md).", Fields: []*yamlfile.Field{
		{Name: "interval", Spec: &yamlfile.Spec{Kind: yamlfile.KindDuration, AllowZero: true}, Default: yamlfile.FormatDuration(DefaultHealthInterval),
			Doc: "How often one replica reads health_status, quality, throughput and the messaging limit of every number from the Graph API and judges them; 0: never (signals are still counted)."},
		{Name: "zone", Spec: &yamlfile.Spec{Kind: yamlfile.KindString}, Default: "UTC", Doc: "The IANA time zone of the daily buckets the score reads, such as Asia/Riyadh."},
		named("slow_below", score(DefaultSlowBelow, "Under this score (0-100) a number is slowed: its daily allowance shrinks.")),
		named("stop_below", score(DefaultStopBelow, "Under this score a number stops sending; at most slow_below.")),
		named("min_allowance", score(DefaultMinAllowance, "The percent of its allowance a slowed number keeps at stop_below.")),
		named("resume_above", score(DefaultResumeAbove, "The score a stopped number needs on each clean day before it resumes.")),
		{Name: "clean_days", Spec: &yamlfile.Spec{Kind: yamlfile.KindInt, Min: yamlfile.IntPtr(0)}, Default: DefaultCleanDays, Doc: "Consecutive clean days before a stopped number resumes, on the first warm-up step."},
		{Name: "negative_phrases", Spec: &yamlfile.Spec{Kind: yamlfile.KindList, Elem: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}},
			Doc: "Replies that count against a number (Arabic or English; matched folded, as flows match text); left out: the built-in list."},
		{Name: "webhook", Spec: &yamlfile.Spec{Kind: yamlfile.KindObject, What: "health.webhook", Doc: "The operator's webhook.", Fields: []*yamlfile.Field{
			{Name: "url", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, Pattern: `^https?://[^/]`}, Doc: "Where every change of a number's state is posted as JSON."},
			{Name: "secret", Spec: &yamlfile.Spec{Kind: yamlfile.KindString, MinLen: 1}, Doc: "Signs each post: X-Wasla-Signature-256: sha256=<HMAC-SHA256 of the body>; write ${NAME} to read it from the environment."},
		}}, Doc: "The operator's webhook: every change of a number's state, signed."},
	}}
}

func (p *parser) health(v *yaml.Node, h *Health) {
	intInto := func(dst *int, what string, limit int) func(k, v *yaml.Node) {
		return func(_, v *yaml.Node) {
			n := p.integer(v, what, 0)
			if limit > 0 && n > limit {
				p.errorf(yamlfile.CodeBadValue, v, "%s must be at most %d, found %d", what, limit, n)
				return
			}
			*dst = n
		}
	}
	var stopNode *yaml.Node
	p.mapping(v, "health", FormatSpec().Field("health").Spec, map[string]func(k, v *yaml.Node){
		"interval": p.durationInto(&h.Interval, "health.interval", true),
		"zone": func(_, v *yaml.Node) {
			s := p.str(v, "health.zone")
			if _, err := time.LoadLocation(s); err != nil {
				p.errorf(yamlfile.CodeBadValue, v, "health.zone must be a time zone such as Asia/Riyadh or UTC, found %q", s)
				return
			}
			h.Zone = s
		},
		"slow_below":    intInto(&h.SlowBelow, "health.slow_below", 100),
		"stop_below":    func(k, v *yaml.Node) { stopNode = v; intInto(&h.StopBelow, "health.stop_below", 100)(k, v) },
		"min_allowance": intInto(&h.MinAllowance, "health.min_allowance", 100),
		"resume_above":  intInto(&h.ResumeAbove, "health.resume_above", 100),
		"clean_days":    intInto(&h.CleanDays, "health.clean_days", 0),
		"negative_phrases": func(_, v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				p.errorf(yamlfile.CodeWrongType, v, "health.negative_phrases must be a list of phrases, found %s", yamlfile.Quote(v))
				return
			}
			h.NegativePhrases = []string{}
			for _, item := range v.Content {
				if s := p.str(item, "a negative phrase"); s != "" {
					h.NegativePhrases = append(h.NegativePhrases, s)
				}
			}
		},
		"webhook": func(_, v *yaml.Node) {
			p.mapping(v, "health.webhook", FormatSpec().Field("health").Spec.Field("webhook").Spec, map[string]func(k, v *yaml.Node){
				"url": func(_, v *yaml.Node) {
					s := p.str(v, "health.webhook.url")
					if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
						p.errorf(yamlfile.CodeBadValue, v, "health.webhook.url must be an http:// or https:// address, found %q", s)
						return
					}
					h.WebhookURL = s
				},
				"secret": func(_, v *yaml.Node) { h.WebhookSecret = Secret(p.secret(v, "health.webhook.secret")) },
			})
		},
	})
	if stopNode == nil {
		stopNode = v
	}
	if h.StopBelow > h.SlowBelow {
		p.errorf(yamlfile.CodeBadValue, stopNode, "health.stop_below (%d) must not be above health.slow_below (%d): a number is slowed before it is stopped", h.StopBelow, h.SlowBelow)
	}
	if h.WebhookURL != "" && !h.WebhookSecret.IsSet() {
		p.errorf(yamlfile.CodeMissingKey, v, "health.webhook needs a secret beside its url: the operator tells real events from forged ones by the signature")
	}
}
