package adminauth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequire(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		name, token, header string
		want                int
	}{
		{"no header", "s3cret", "", 401},
		{"wrong token", "s3cret", "Bearer nope", 401},
		{"not bearer", "s3cret", "Basic czNjcmV0", 401},
		{"no token configured", "", "Bearer ", 401},
		{"right token", "s3cret", "Bearer s3cret", 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/outbox/failed", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			Require(tt.token, nil, ok).ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == 401 {
				if !strings.Contains(rec.Header().Get("WWW-Authenticate"), Realm) || !strings.Contains(rec.Body.String(), "admin token") {
					t.Errorf("401 without the challenge or the error: %v %s", rec.Header(), rec.Body)
				}
				if tt.token != "" && strings.Contains(rec.Body.String(), tt.token) {
					t.Error("the answer echoes the token")
				}
			}
		})
	}
}
