package flowtest

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestMockDoer(t *testing.T) {
	doer := newMockDoer([]*Mock{
		{Method: "GET", URL: "https://shop.example/api/orders/1", Status: 200, Body: []byte(`{"status":"ok"}`), JSON: true},
		{Method: "POST", URL: "https://shop.example/api/x", Status: 500},
		{Method: "GET", URL: "https://slow.example/", Error: "timeout"},
		{Method: "GET", URL: "https://down.example/", Error: "connection refused"},
		{Method: "GET", URL: "https://text.example/", Status: 200, Body: []byte("hello")},
	})
	do := func(method, url string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		return doer.Do(req)
	}

	t.Run("JSON answer", func(t *testing.T) {
		resp, err := do("GET", "https://shop.example/api/orders/1")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != `{"status":"ok"}` || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("got %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
		}
	})
	t.Run("status only", func(t *testing.T) {
		resp, err := do("POST", "https://shop.example/api/x")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 500 || resp.Status != "500 Internal Server Error" {
			t.Errorf("got %d %q", resp.StatusCode, resp.Status)
		}
	})
	t.Run("text answer", func(t *testing.T) {
		resp, err := do("GET", "https://text.example/")
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("content type %q", ct)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		_, err := do("GET", "https://slow.example/")
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("got %v, want a timeout error", err)
		}
	})
	t.Run("transport error", func(t *testing.T) {
		_, err := do("GET", "https://down.example/")
		if err == nil || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unmocked request is remembered once", func(t *testing.T) {
		if _, err := do("GET", "https://shop.example/api/orders/2"); err == nil {
			t.Fatal("an unmocked request succeeded")
		}
		got := doer.takeUnmatched()
		if len(got) != 1 || got[0] != "GET https://shop.example/api/orders/2" {
			t.Errorf("unmatched = %q", got)
		}
		if again := doer.takeUnmatched(); len(again) != 0 {
			t.Errorf("unmatched kept after take: %q", again)
		}
	})
	t.Run("method matters", func(t *testing.T) {
		if _, err := do("DELETE", "https://shop.example/api/orders/1"); err == nil {
			t.Fatal("DELETE answered by a GET mock")
		}
		doer.takeUnmatched()
	})
	t.Run("cancelled request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", "https://shop.example/api/orders/1", nil)
		if _, err := doer.Do(req); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}
