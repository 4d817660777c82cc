package runner

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestOpenAPIMatchesRoutes checks docs/campaigns.openapi.yaml against the routes the API
// serves, both ways.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "campaigns.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	served := slices.Sorted(slices.Values(Routes))
	if !slices.Equal(documented, served) {
		t.Errorf("the OpenAPI file documents\n%v\nthe API serves\n%v", documented, served)
	}
}

// TestAPI runs the admin API: 401 without the token, then status, pause, a refused
// pause, resume and cancel.
func TestAPI(t *testing.T) {
	ctl, _ := start(t, 10)
	api := &API{Control: ctl, Token: "s3cret", Now: time.Now}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	do := func(method, path, token string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	tests := []struct {
		method, path, token string
		code                int
		state               string
	}{
		{"GET", "/api/campaigns/offer", "", 401, ""},
		{"GET", "/api/campaigns/offer", "wrong", 401, ""},
		{"GET", "/api/campaigns/offer", "s3cret", 200, "running"},
		{"GET", "/api/campaigns/nope", "s3cret", 404, ""},
		{"POST", "/api/campaigns/offer/pause", "s3cret", 200, "paused"},
		{"POST", "/api/campaigns/offer/pause", "s3cret", 409, ""},
		{"POST", "/api/campaigns/offer/resume", "s3cret", 200, "running"},
		{"POST", "/api/campaigns/offer/cancel", "s3cret", 200, "cancelled"},
		{"POST", "/api/campaigns/offer/resume", "s3cret", 409, ""},
	}
	for _, tt := range tests {
		code, body := do(tt.method, tt.path, tt.token)
		if code != tt.code || (tt.state != "" && body["state"] != tt.state) {
			t.Errorf("%s %s (token %q) = %d %v; want %d %s", tt.method, tt.path, tt.token, code, body, tt.code, tt.state)
		}
		if tt.state != "" && body["audience"] != float64(10) {
			t.Errorf("%s %s: audience %v, want 10", tt.method, tt.path, body["audience"])
		}
	}
}
