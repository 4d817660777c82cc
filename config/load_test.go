package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/yamlfile"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

const minimal = `flows: flows
whatsapp:
  app_secret: s3cret
  verify_token: tok
numbers:
  - id: "1001"
    display: "+966 50 000 0001"
    role: inbox
    waba: "2001"
    token: T1
`

func TestParseMinimalFillsDefaults(t *testing.T) {
	cfg, err := Parse("/etc/wasla/wasla.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Listen, DefaultListen},
		{"flows", cfg.Flows, filepath.FromSlash("/etc/wasla/flows")},
		{"redis", cfg.Redis.IsSet(), false},
		{"graph url", cfg.WhatsApp.GraphURL, DefaultGraphURL},
		{"graph version", cfg.WhatsApp.GraphVersion, DefaultGraphVersion},
		{"throughput", cfg.Numbers[0].Throughput, DefaultThroughput},
		{"default policy", cfg.Routing.DefaultPolicy, PolicyLink},
		{"workers", cfg.Limits.Workers, DefaultWorkers},
		{"timer", cfg.Limits.TimerInterval, time.Second},
		{"reload", cfg.Limits.ReloadInterval, 2 * time.Second},
		{"log level", cfg.Log.Level, slog.LevelInfo},
		{"inbox", cfg.Inbox().ID, "1001"},
		{"secret", cfg.WhatsApp.AppSecret.Reveal(), "s3cret"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseExampleFile(t *testing.T) {
	vars := map[string]string{
		"WASLA_APP_SECRET": "app", "WASLA_VERIFY_TOKEN": "verify",
		"WASLA_INBOX_TOKEN": "inbox-token", "WASLA_CAMPAIGN_TOKEN": "campaign-token",
	}
	cfg, err := load(t, "../wasla.example.yaml", vars)
	if err != nil {
		t.Fatalf("the example config does not load:\n%v", err)
	}
	if len(cfg.Numbers) != 2 || cfg.Numbers[1].Policy != PolicyBridge || cfg.Numbers[1].Campaign != "ramadan_offers" {
		t.Errorf("numbers = %+v", cfg.Numbers)
	}
	if cfg.Numbers[0].Token.Reveal() != "inbox-token" || cfg.Redis.IsSet() {
		t.Errorf("environment not expanded: token %q, redis set %v", cfg.Numbers[0].Token.Reveal(), cfg.Redis.IsSet())
	}
	if !cfg.Routing.BridgeTemplate.IsSet() || cfg.Routing.WindowTemplate.Name != "follow_up" {
		t.Errorf("routing = %+v", cfg.Routing)
	}
	if c, ok := cfg.Campaign("ramadan_offers"); !ok || c.Policy != PolicyBridge || c.BridgeTemplate.Name != "continue_ramadan" {
		t.Errorf("campaigns = %+v", cfg.Campaigns)
	}
	// The starting log line says whether the admin API is served (it is not without a
	// token, and its routes then answer 404), never the token.
	if lv := cfg.LogValue().String(); !strings.Contains(lv, "admin_api=false") {
		t.Errorf("the log value %s does not say the admin API is off", lv)
	}
	// A new user following the README gets the admin API by exporting its token.
	vars["WASLA_ADMIN_TOKEN"] = "admin-token"
	if cfg, err := load(t, "../wasla.example.yaml", vars); err != nil || cfg.Admin.Token.Reveal() != "admin-token" {
		t.Errorf("the example config does not take the admin token from WASLA_ADMIN_TOKEN (err %v)", err)
	} else if lv := cfg.LogValue().String(); !strings.Contains(lv, "admin_api=true") || strings.Contains(lv, "admin-token") {
		t.Errorf("the log value %s should say admin_api=true, without the token", lv)
	}
	if want := filepath.Join("..", "inbox.example.yaml"); cfg.InboxFile != want {
		t.Errorf("inbox file = %q, want %q (relative to the config file)", cfg.InboxFile, want)
	}
}

func load(t *testing.T, path string, vars map[string]string) (*Config, error) {
	t.Helper()
	data, err := readFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(path, data, env(vars))
}

func TestParseEnvironment(t *testing.T) {
	tests := []struct {
		name, value string
		vars        map[string]string
		want        string
		wantErr     string
	}{
		{"set", "${A}", map[string]string{"A": "x"}, "x", ""},
		{"inside text", "pre-${A}-post", map[string]string{"A": "x"}, "pre-x-post", ""},
		{"default used", "${A:-dflt}", nil, "dflt", ""},
		{"default unused", "${A:-dflt}", map[string]string{"A": "x"}, "x", ""},
		{"empty default", "${A:-}", nil, "", ""},
		{"set but empty", "${A}", map[string]string{"A": ""}, "", ""},
		{"escaped", "$${A}", nil, "${A}", ""},
		{"dollar alone", "a$b", nil, "a$b", ""},
		{"missing", "${NOPE}", nil, "", "c.yaml:1:15: environment variable NOPE is not set"},
		{"bad name", "${1A}", nil, "", "c.yaml:1:15: `${1A}` is not a valid environment variable reference; write ${NAME} or ${NAME:-default}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "verify_token: " + fmt.Sprintf("%q", tt.value)
			p := &parser{file: "c.yaml", env: env(tt.vars)}
			var w WhatsApp
			p.whatsapp(mustNode(t, src), &w)
			got := p.diags.Error()
			if got != tt.wantErr {
				t.Fatalf("diagnostics:\n%s\nwant:\n%s", got, tt.wantErr)
			}
			if tt.wantErr == "" && w.VerifyToken.Reveal() != tt.want {
				t.Errorf("value = %q, want %q", w.VerifyToken.Reveal(), tt.want)
			}
		})
	}
}

// TestParseErrors asserts every diagnostic word for word: they are the interface an
// operator sees when start-up stops.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "unknown keys with suggestions",
			src: minimal + `lisen: ":80"
whatsapp_extra: 1
limits:
  worker: 3
`,
			want: `c.yaml:11:1: unknown key ` + "`lisen`" + ` in the configuration; did you mean ` + "`listen`" + `?
c.yaml:12:1: unknown key ` + "`whatsapp_extra`" + ` in the configuration
c.yaml:14:3: unknown key ` + "`worker`" + ` in limits; did you mean ` + "`workers`" + `?`,
		},
		{
			// A swap of neighbouring letters is one edit, as in flow diagnostics.
			name: "swapped letters",
			src:  minimal + "lgo:\n  level: info\n",
			want: "c.yaml:11:1: unknown key `lgo` in the configuration; did you mean `log`?",
		},
		{
			name: "missing sections",
			src:  "listen: \":80\"\n",
			want: "c.yaml:1:1: missing key `flows`: the folder of flow files\n" +
				"c.yaml:1:1: missing key `whatsapp` with app_secret and verify_token\n" +
				"c.yaml:1:1: missing key `numbers`: the business numbers, one of them with role inbox",
		},
		{
			name: "two inboxes and bad values",
			src: `flows: f
whatsapp:
  app_secret: a
  verify_token: b
  graph_version: "25"
numbers:
  - id: "1001"
    display: "1"
    role: inbox
    waba: "2001"
    token: T
  - id: "1001"
    display: "2"
    role: inbox
    waba: abc
    token: T
    throughput: 0
  - id: "1003"
    display: "3"
    role: campain
    waba: "2003"
    token: T
    policy: hold
`,
			want: "c.yaml:5:18: whatsapp.graph_version must look like v25.0, found \"25\"\n" +
				"c.yaml:12:9: number id 1001 appears twice; the first is at line 7\n" +
				"c.yaml:14:11: a second number with role inbox; the first is at line 7: exactly one number is the central inbox\n" +
				"c.yaml:15:11: numbers[1].waba must be the WhatsApp Business Account id (digits only), found \"abc\"\n" +
				"c.yaml:17:17: numbers[1].throughput must be at least 1, found 0\n" +
				"c.yaml:20:11: numbers[2].role must be `inbox` or `campaign`, found \"campain\"; did you mean `campaign`?",
		},
		{
			name: "no inbox, missing keys, bridge without template",
			src: `flows: f
whatsapp: {app_secret: a, verify_token: b}
numbers:
  - id: "1001"
    role: campaign
    policy: bridge
routing:
  default_policy: bridge
`,
			want: "c.yaml:3:1: numbers: no number has role inbox; exactly one number must be the central inbox\n" +
				"c.yaml:4:5: numbers[0]: missing key `display` (the number as users see it, such as +966 50 123 4567)\n" +
				"c.yaml:4:5: numbers[0]: missing key `waba` (the WhatsApp Business Account id)\n" +
				"c.yaml:4:5: numbers[0]: missing key `token` (the Graph API access token)\n" +
				"c.yaml:6:13: policy bridge needs a bridge template, the approved template the inbox number opens the conversation with: set routing.bridge_template",
		},
		{
			name: "inbox with campaign keys, bad types",
			src: `flows: [a, b]
redis: http://localhost:6379
whatsapp:
  app_secret: ""
  verify_token: b
  mark_read: maybe
numbers:
  - id: "1001"
    display: "+966 50 000 0001"
    role: inbox
    waba: "2001"
    token: T
    policy: link
routing:
  window_template: {name: x}
limits:
  timer_interval: 10
  shutdown_timeout: -1s
`,
			want: "c.yaml:1:8: flows must be a single value, found a list\n" +
				"c.yaml:2:8: redis must be a redis:// or rediss:// URL, or empty for the embedded store\n" +
				"c.yaml:3:1: whatsapp.app_secret is required: it checks the X-Hub-Signature-256 of every webhook\n" +
				"c.yaml:6:14: whatsapp.mark_read must be true or false, found \"maybe\"\n" +
				"c.yaml:13:13: numbers[0]: policy applies to campaign numbers only; the inbox number is where conversations are routed to\n" +
				"c.yaml:15:20: routing.window_template: missing key `language` (the template's language code, such as ar or en_US)\n" +
				"c.yaml:17:19: limits.timer_interval must be a duration such as 500ms, 2s, 5m or 7d, found \"10\"\n" +
				"c.yaml:18:21: limits.shutdown_timeout must be positive, found -1s",
		},
		{
			name: "duplicate key",
			src:  minimal + "listen: \":1\"\nlisten: \":2\"\n",
			want: "c.yaml:12:1: key `listen` appears twice in the configuration; the first is at line 11",
		},
		{
			name: "yaml syntax",
			src:  "flows: [\n",
			want: "c.yaml:1: invalid YAML: did not find expected node content",
		},
		{
			name: "empty",
			src:  "",
			want: "c.yaml:1:1: the configuration is empty; see docs/config.md",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tt.src), nil)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", cfg)
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, tt.want)
			}
			var ds Diagnostics
			if errors.As(err, &ds) {
				for _, d := range ds.Positioned() {
					if !d.Code.Valid() || d.Code == yamlfile.CodeInvalid {
						t.Errorf("%s has code %q; every configuration diagnostic names its kind", d, d.Code)
					}
				}
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	// Each secret is a text no log line holds by chance (a bare "T1" would match a
	// timestamp such as 2026-11-25T10:01).
	src := strings.ReplaceAll(strings.ReplaceAll(minimal, "s3cret", "${APP}"), "token: T1", "token: num-TOKEN-7f3a") +
		"redis: redis://:pw-XYZ@localhost:6379\n"
	cfg, err := Parse("c.yaml", []byte(src), env(map[string]string{"APP": "app-SECRET-value"}))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("start",
		"config", cfg, "secret", cfg.WhatsApp.AppSecret, "number", cfg.Numbers[0])
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"slog":  logged.String(),
		"%v":    fmt.Sprintf("%v", cfg),
		"%+v":   fmt.Sprintf("%+v", *cfg),
		"%#v":   fmt.Sprintf("%#v", *cfg),
		"%s":    fmt.Sprintf("%s", cfg.WhatsApp.AppSecret),
		"%q":    fmt.Sprintf("%q", cfg.Numbers[0].Token),
		"%x":    fmt.Sprintf("%x", cfg.Numbers[0].Token),
		"json":  string(js),
		"redis": fmt.Sprint(cfg.Redis),
	}
	for name, out := range outputs {
		for _, secret := range []string{"app-SECRET-value", "pw-XYZ", "num-TOKEN-7f3a"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s output leaks %q: %s", name, secret, out)
			}
		}
	}
	if !strings.Contains(outputs["%s"], "[redacted]") {
		t.Errorf("%%s = %q, want [redacted]", outputs["%s"])
	}
	if cfg.WhatsApp.AppSecret.Reveal() != "app-SECRET-value" {
		t.Errorf("Reveal = %q", cfg.WhatsApp.AppSecret.Reveal())
	}
}

// campaignNumbers is minimal with two campaign numbers: 1002 sends ramadan, 1003 sends
// summer.
const campaignNumbers = minimal + `  - {id: "1002", display: "+966 50 000 0002", role: campaign, waba: "2002", token: T, campaign: ramadan}
  - {id: "1003", display: "+966 50 000 0003", role: campaign, waba: "2002", token: T, campaign: summer}
`

func TestParseCampaignsChoosePolicies(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string]Policy // number id → settled policy
	}{
		{
			name: "routing default only",
			src:  campaignNumbers + "routing: {default_policy: hold}\n",
			want: map[string]Policy{"1002": PolicyHold, "1003": PolicyHold},
		},
		{
			name: "campaign beats default",
			src: campaignNumbers + `routing: {default_policy: hold}
campaigns:
  ramadan:
    policy: bridge
    bridge_template: {name: hello_main, language: ar}
`,
			want: map[string]Policy{"1002": PolicyBridge, "1003": PolicyHold},
		},
		{
			name: "number beats campaign",
			src: strings.Replace(campaignNumbers, "campaign: ramadan}", "campaign: ramadan, policy: link}", 1) + `campaigns:
  ramadan: {policy: hold}
`,
			want: map[string]Policy{"1002": PolicyLink, "1003": PolicyLink},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tt.src), nil)
			if err != nil {
				t.Fatalf("Parse:\n%v", err)
			}
			for _, n := range cfg.Numbers[1:] {
				if n.Policy != tt.want[n.ID] {
					t.Errorf("number %s policy = %q, want %q", n.ID, n.Policy, tt.want[n.ID])
				}
			}
		})
	}
}

func TestParseCampaignFields(t *testing.T) {
	src := campaignNumbers + `campaigns:
  ramadan:
    policy: link
    link_text: "Ramadan offers continue here: {link}"
    link_prefill: Ramadan
    bridge_template: {name: hello_main, language: ar, params: [Ramadan]}
    window_template: {name: ramadan_follow_up, language: en_US}
  summer: {}
`
	cfg, err := Parse("c.yaml", []byte(src), nil)
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	want := []Campaign{
		{
			Name: "ramadan", Policy: PolicyLink, LinkText: "Ramadan offers continue here: {link}", LinkPrefill: "Ramadan",
			BridgeTemplate: Template{Name: "hello_main", Language: "ar", Params: []string{"Ramadan"}},
			WindowTemplate: Template{Name: "ramadan_follow_up", Language: "en_US"},
			Line:           14,
		},
		{Name: "summer", Line: 20},
	}
	if got, w := fmt.Sprintf("%+v", cfg.Campaigns), fmt.Sprintf("%+v", want); got != w {
		t.Errorf("campaigns =\n%s\nwant\n%s", got, w)
	}
	if c, ok := cfg.Campaign("summer"); !ok || c.Name != "summer" {
		t.Errorf("Campaign(summer) = %+v, %v", c, ok)
	}
	if _, ok := cfg.Campaign("winter"); ok {
		t.Error("Campaign(winter) found")
	}
}

// TestParseCampaignErrors asserts the campaigns section's diagnostics word for word.
func TestParseCampaignErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			// Either name may be the misspelt one, so both places are shown.
			name: "misspelt on the campaign side",
			src:  campaignNumbers + "campaigns:\n  ramadn: {policy: hold}\n",
			want: "c.yaml:11:97: numbers[1].campaign `ramadan` is not in campaigns; did you mean `ramadn` (line 14)?\n" +
				"c.yaml:14:3: campaigns: no campaign number sends campaign `ramadn` (a number names its campaign with `campaign:`); did you mean `ramadan`?",
		},
		{
			name: "misspelt on the number side",
			src:  strings.Replace(campaignNumbers, "campaign: summer", "campaign: sumer", 1) + "campaigns:\n  summer: {policy: hold}\n",
			want: "c.yaml:12:97: numbers[2].campaign `sumer` is not in campaigns; did you mean `summer` (line 14)?\n" +
				"c.yaml:14:3: campaigns: no campaign number sends campaign `summer` (a number names its campaign with `campaign:`); did you mean `sumer`?",
		},
		{
			name: "bad values",
			src: campaignNumbers + `campaigns:
  ramadan:
    policy: brige
    link_text: "no link here"
    window_template: {language: ar}
    color: red
  ramadan: {}
`,
			want: "c.yaml:15:13: campaigns.ramadan.policy must be `link`, `bridge` or `hold`, found \"brige\"; did you mean `bridge`?\n" +
				"c.yaml:16:16: campaigns.ramadan.link_text must contain {link}, which becomes the wa.me link to the inbox number\n" +
				"c.yaml:17:22: campaigns.ramadan.window_template: missing key `name` (the approved template's name)\n" +
				"c.yaml:18:5: unknown key `color` in campaigns.ramadan\n" +
				"c.yaml:19:3: campaign `ramadan` appears twice in campaigns; the first is at line 14",
		},
		{
			name: "bridge without a template, from the campaign",
			src:  campaignNumbers + "campaigns:\n  ramadan: {policy: bridge}\n",
			want: "c.yaml:14:21: policy bridge needs a bridge template, the approved template the inbox number opens the conversation with: set routing.bridge_template or campaigns.ramadan.bridge_template",
		},
		{
			name: "bridge by default, one campaign has its template",
			src: campaignNumbers + `routing: {default_policy: bridge}
campaigns:
  ramadan: {bridge_template: {name: hello_main, language: ar}}
`,
			want: "c.yaml:13:27: policy bridge needs a bridge template, the approved template the inbox number opens the conversation with: set routing.bridge_template",
		},
		{
			name: "not a mapping",
			src:  campaignNumbers + "campaigns: [ramadan]\n",
			want: "c.yaml:13:12: campaigns must be a mapping of campaign names to their routing, found a list",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tt.src), nil)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", cfg)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("diagnostics:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestStateDurations(t *testing.T) {
	for _, c := range []struct {
		name string
		yaml string
		want State
	}{
		{"defaults", "", State{SessionIdle: 30 * 24 * time.Hour, DedupePeriod: 7 * 24 * time.Hour}},
		{"days and never", "state:\n  session_idle: 0\n  history_retention: 365d\n  dedupe_period: 10d\n",
			State{SessionIdle: 0, HistoryRetention: 365 * 24 * time.Hour, DedupePeriod: 10 * 24 * time.Hour}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(minimal+c.yaml), env(nil))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.State != c.want {
				t.Errorf("state = %+v, want %+v", cfg.State, c.want)
			}
		})
	}
	_, err := Parse("c.yaml", []byte(minimal+"state:\n  session_idel: 1d\n  dedupe_period: -1d\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "did you mean `session_idle`?") || !strings.Contains(err.Error(), "state.dedupe_period must be positive") {
		t.Errorf("error = %v, want a did-you-mean for session_idel and a negative-duration error", err)
	}
}

func TestParseRedirectEvery(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(campaignNumbers), nil)
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	if cfg.Routing.RedirectEvery != 6*time.Hour {
		t.Errorf("default redirect_every = %v, want 6h", cfg.Routing.RedirectEvery)
	}
	cfg, err = Parse("c.yaml", []byte(campaignNumbers+"routing: {redirect_every: 90m}\n"), nil)
	if err != nil {
		t.Fatalf("Parse:\n%v", err)
	}
	if cfg.Routing.RedirectEvery != 90*time.Minute {
		t.Errorf("redirect_every = %v, want 1h30m", cfg.Routing.RedirectEvery)
	}
	_, err = Parse("c.yaml", []byte(campaignNumbers+"routing: {redirect_every: 0}\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "routing.redirect_every") {
		t.Errorf("redirect_every 0: %v", err)
	}
}
