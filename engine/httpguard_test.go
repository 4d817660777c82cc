package engine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/wasla/wasla/engine"
)

func TestIsInternal(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		internal bool
	}{
		{"127.0.0.1", true}, {"127.8.9.1", true}, {"::1", true},
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"172.31.255.255", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"fd00:ec2::254", true}, {"fe80::1", true}, {"fc00::1", true},
		{"100.64.0.1", true}, {"0.0.0.0", true}, {"::", true}, {"224.0.0.1", true}, {"255.255.255.255", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"64:ff9b::a9fe:a9fe", true},
		{"8.8.8.8", false}, {"172.32.0.1", false}, {"157.240.1.35", false}, {"2a03:2880:f10c:83:face:b00c:0:25de", false},
		{"64:ff9b::808:808", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			if got := engine.IsInternal(netip.MustParseAddr(tc.addr)); got != tc.internal {
				t.Errorf("IsInternal(%s) = %v, want %v", tc.addr, got, tc.internal)
			}
		})
	}
}

func get(t *testing.T, c *http.Client, u string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), nil
}

// TestHTTPGuardRefusesLoopbackUnlessAllowed points the guarded client at a loopback server:
// refused with the guard on, reached when the host is allowed.
func TestHTTPGuardRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "internal data") }))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	local := "http://localhost:" + u.Port() + "/"
	for _, tc := range []struct {
		name    string
		policy  engine.HTTPPolicy
		url     string
		refused bool
	}{
		{"guard on, ip", engine.HTTPPolicy{BlockInternal: true}, srv.URL, true},
		{"guard on, name resolving to loopback", engine.HTTPPolicy{BlockInternal: true}, local, true},
		{"other host allowed", engine.HTTPPolicy{BlockInternal: true, AllowHosts: []string{"orders.internal"}}, srv.URL, true},
		{"ip allowed", engine.HTTPPolicy{BlockInternal: true, AllowHosts: []string{"127.0.0.1"}}, srv.URL, false},
		{"name allowed", engine.HTTPPolicy{BlockInternal: true, AllowHosts: []string{"LocalHost"}}, local, false},
		{"host:port allowed", engine.HTTPPolicy{BlockInternal: true, AllowHosts: []string{u.Host}}, srv.URL, false},
		{"guard off", engine.HTTPPolicy{}, srv.URL, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := get(t, engine.NewHTTPClient(tc.policy), tc.url)
			if tc.refused {
				if !errors.Is(err, engine.ErrInternalAddress) || !strings.Contains(err.Error(), "allow_hosts") {
					t.Errorf("err = %v, want ErrInternalAddress naming allow_hosts", err)
				}
				return
			}
			if err != nil || body != "internal data" {
				t.Errorf("GET = %q, %v; want the answer", body, err)
			}
		})
	}
}

func TestHTTPClientRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		n := r.PathValue("n")
		if n == "0" {
			_, _ = io.WriteString(w, "arrived")
			return
		}
		http.Redirect(w, r, "/hop/"+string(rune(n[0]-1)), http.StatusFound)
	})
	mux.HandleFunc("/to-https", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+"/hop/0", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, path string
		policy     engine.HTTPPolicy
		err        string
	}{
		{"three hops by default", "/hop/3", engine.HTTPPolicy{}, ""},
		{"four hops are too many", "/hop/4", engine.HTTPPolicy{}, "stopped after 3 redirects"},
		{"none allowed", "/hop/1", engine.HTTPPolicy{MaxRedirects: -1}, "stopped after 0 redirects"},
		{"another scheme", "/to-https", engine.HTTPPolicy{}, "redirect from http to https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := get(t, engine.NewHTTPClient(tc.policy), srv.URL+tc.path)
			if tc.err == "" {
				if err != nil || body != "arrived" {
					t.Errorf("GET = %q, %v", body, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

const escapeFlow = `flow: order
triggers: [{keywords: [order]}]
steps:
  - ask: "Order number?"
    save: no
  - http:
      post: "https://shop.example/api/orders/{{ vars.no }}?lang={{ vars.no }}"
      body: '{"order": "{{ vars.no }}", "raw": {{ vars.no }}}'
    save: order
    on_error: failed
  - say: "found"
  - end: true
  - id: failed
    say: "failed: {{ vars.order_error }}"
`

// TestHTTPStepEscapesCustomerText sends what a customer typed into a URL path, a query
// and a JSON body: it cannot add path segments, parameters or keys.
func TestHTTPStepEscapesCustomerText(t *testing.T) {
	ep := &endpoint{answers: []func() (*http.Response, error){answer(200, `{}`)}}
	h := newHarness(t, map[string]string{"order.yaml": escapeFlow}, engine.Options{HTTP: ep})
	h.say("order")
	expect(t, "reply", h.say(`../admin?x=1&admin=true#", "admin": true, "y": "`), "found")
	if len(ep.seen) != 1 {
		t.Fatalf("%d requests, want 1", len(ep.seen))
	}
	got := ep.seen[0]
	const wantURL = `https://shop.example/api/orders/..%2Fadmin%3Fx=1&admin=true%23%22%2C%20%22admin%22:%20true%2C%20%22y%22:%20%22` +
		`?lang=..%2Fadmin%3Fx%3D1%26admin%3Dtrue%23%22%2C+%22admin%22%3A+true%2C+%22y%22%3A+%22`
	if got.url != wantURL {
		t.Errorf("url = %s\nwant  %s", got.url, wantURL)
	}
	if strings.Contains(got.body, `"admin": true,`) || !strings.HasPrefix(got.body, `{"order": "../admin?x=1\u0026admin=true#\", \"admin\": true`) {
		t.Errorf("body = %s", got.body)
	}
}

func TestHTTPStepAnswerOverTheLimitFails(t *testing.T) {
	ep := &endpoint{answers: []func() (*http.Response, error){answer(200, `{"pad": "`+strings.Repeat("x", 100)+`"}`)}}
	h := newHarness(t, map[string]string{"order.yaml": escapeFlow}, engine.Options{HTTP: ep, HTTPMaxBody: 64})
	h.say("order")
	got := h.say("7")
	if len(got) != 1 || !strings.Contains(got[0], "answer larger than 64 bytes") {
		t.Errorf("replies = %q, want the step to fail on the size", got)
	}
}
