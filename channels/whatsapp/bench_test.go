package whatsapp

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasla/wasla/chat"
)

// BenchmarkParseWebhook decodes the commonest webhook, one text message; allocations per
// op are the figure to watch (they do not depend on the machine's load).
func BenchmarkParseWebhook(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "webhooks", "text.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseWebhook(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientSend sends one text reply to a local Graph API stand-in over a keep-alive
// connection: the client's own cost per reply (encoding, request, answer), net/http's
// included.
func BenchmarkClientSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"966500000001","wa_id":"966500000001"}],"messages":[{"id":"wamid.X"}]}`)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, HTTP: NewHTTPClient(), Logger: slog.New(slog.DiscardHandler)}
	msg := chat.Outbound{Kind: chat.KindText, To: "966500000001", From: "106540352242922", Text: "Thanks, we got your message.", ReplyTo: "wamid.IN"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Send(ctx, msg.From, "token", msg); err != nil {
			b.Fatal(err)
		}
	}
}
