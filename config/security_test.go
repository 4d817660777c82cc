package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMetricsAndHTTPSteps(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := HTTPSteps{MaxBody: 1 << 20, MaxRedirects: 3, BlockInternal: true}
	if !reflect.DeepEqual(cfg.HTTPSteps, want) || cfg.Metrics != (Metrics{}) {
		t.Errorf("defaults: http_steps %+v metrics %+v", cfg.HTTPSteps, cfg.Metrics)
	}
	cfg, err = Parse("c.yaml", []byte(minimal+`metrics:
  token: scrape-token-1
  listen: 127.0.0.1:9090
http_steps:
  max_body: 256KiB
  max_redirects: 0
  block_internal: false
  allow_hosts: [Orders.Internal, "erp.local:8443"]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Metrics.Token.Reveal() != "scrape-token-1" || cfg.Metrics.Listen != "127.0.0.1:9090" {
		t.Errorf("metrics = %+v", cfg.Metrics)
	}
	want = HTTPSteps{MaxBody: 256 << 10, MaxRedirects: -1, AllowHosts: []string{"orders.internal", "erp.local:8443"}}
	if !reflect.DeepEqual(cfg.HTTPSteps, want) {
		t.Errorf("http_steps = %+v, want %+v", cfg.HTTPSteps, want)
	}
}

func TestParseMetricsAndHTTPStepsErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"listen", "metrics: {listen: 9090}\n", `metrics.listen must be host:port or :port, found "9090"`},
		{"unknown key", "metrics: {tokn: x}\n", "tokn"},
		{"size", "http_steps: {max_body: 1GB}\n", `http_steps.max_body must be a size such as 1048576, 512KiB or 2MiB, found "1GB"`},
		{"redirects", "http_steps: {max_redirects: 50}\n", "http_steps.max_redirects must be at most 10, found 50"},
		{"hosts", "http_steps: {allow_hosts: [\"http://x\"]}\n", "allow_hosts entries are host names"},
		{"hosts not a list", "http_steps: {allow_hosts: x}\n", "http_steps.allow_hosts must be a list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(minimal+tc.src), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
