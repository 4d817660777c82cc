package page

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestTextsComplete(t *testing.T) {
	want := slices.Sorted(maps.Keys(Texts[Languages[0]]))
	for _, l := range Languages {
		if got := slices.Sorted(maps.Keys(Texts[l])); !slices.Equal(got, want) {
			t.Errorf("%s has keys %v; want %v", l, got, want)
		}
	}
}

func TestServesThePageAndItsFiles(t *testing.T) {
	h := Handler()
	tests := []struct {
		path, lang, want string
	}{
		{"/admin/numbers", "", `dir="rtl"`},
		{"/admin/numbers?lang=en", "", `dir="ltr"`},
		{"/admin/numbers", "en-GB,en;q=0.8", `lang="en"`},
		{"/admin/numbers/", "", "الأرقام"},
		{"/admin/numbers/static/numbers.js", "", "/api/numbers"},
		{"/admin/numbers/static/numbers.css", "", "@media"},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.lang != "" {
			req.Header.Set("Accept-Language", tt.lang)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("%s (%s): %d, want %q in the body", tt.path, tt.lang, rec.Code, tt.want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/numbers", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
}
