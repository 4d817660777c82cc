package webpage

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLanguage(t *testing.T) {
	langs := []string{"ar", "en"}
	tests := []struct{ query, accept, want string }{
		{"", "", "ar"},
		{"?lang=en", "ar", "en"},
		{"?lang=fr", "en-GB,en;q=0.9", "en"},
		{"?lang=fr", "fr", "ar"},
		{"", "fr;q=1, EN-us;q=0.5", "en"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodGet, "/p"+tt.query, nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Language", tt.accept)
		}
		if got := Language(r, langs); got != tt.want {
			t.Errorf("%q with %q: %s, want %s", tt.query, tt.accept, got, tt.want)
		}
	}
}
