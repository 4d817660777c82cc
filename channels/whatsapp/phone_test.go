package whatsapp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestPhoneHealthReadsTheNumberNode(t *testing.T) {
	body, err := os.ReadFile("testdata/phone/blocked.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v25.0/"+string(testNumber) {
			t.Errorf("request = %s %s", r.Method, r.URL.Path)
		}
		if got := r.URL.Query().Get("fields"); got != PhoneHealthFields {
			t.Errorf("fields = %q", got)
		}
		if strings.Contains(r.URL.RawQuery, testToken) || r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("the token belongs in the Authorization header only")
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	h, err := c.PhoneHealth(context.Background(), testNumber, testToken)
	if err != nil {
		t.Fatal(err)
	}
	if h.CanSend != CanSendBlocked || h.Quality != "RED" || h.Throughput != "STANDARD" || h.Limit != "TIER_2K" {
		t.Errorf("health = %+v", h)
	}
	if got := h.Reason(); !strings.Contains(got, "waba BLOCKED: 141006") {
		t.Errorf("reason = %q", got)
	}
}

func TestPhoneHealthError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"message":"Invalid OAuth access token ` + testToken + `","type":"OAuthException","code":190}}`))
	}))
	defer srv.Close()
	_, err := (&Client{BaseURL: srv.URL}).PhoneHealth(context.Background(), testNumber, testToken)
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Fatalf("err = %v: want an error without the token", err)
	}
}

func TestParsePhoneHealthTolerance(t *testing.T) {
	for _, in := range []string{`{}`, `{"throughput":"HIGH"}`, `{"throughput":null,"quality_rating":"GREEN"}`} {
		if _, err := ParsePhoneHealth([]byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	if _, err := ParsePhoneHealth([]byte(`{"throughput":5}`)); err == nil {
		t.Error("a numeric throughput should be refused")
	}
}

func FuzzParsePhoneHealth(f *testing.F) {
	f.Add([]byte(`{"health_status":{"can_send_message":"AVAILABLE"},"quality_rating":"GREEN","throughput":{"level":"STANDARD"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParsePhoneHealth(data)
		if err == nil {
			_ = h.Reason()
		}
	})
}
