package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasla/wasla/channels/whatsapp"
)

// BenchmarkWebhook is the webhook handler's own cost for one signed text message —
// signature, parsing, contact resolution and push against fakes, metrics — without HTTP
// or Redis. Allocations per op are the figure to compare between builds.
func BenchmarkWebhook(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "channels", "whatsapp", "testdata", "webhooks", "text.json"))
	if err != nil {
		b.Fatal(err)
	}
	r := &rig{intake: newFakeIntake(), engine: &fakeEngine{}}
	srv, err := New(Deps{AppSecret: secret, VerifyToken: verify, Intake: r.intake, Engine: r.engine, Redis: &fakePinger{}})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	sig := whatsapp.Sign(secret, body)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set(whatsapp.SignatureHeader, sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("POST = %d", w.Code)
		}
		r.intake.mu.Lock()
		r.intake.queue, r.intake.pushed = r.intake.queue[:0], r.intake.pushed[:0]
		r.intake.mu.Unlock()
	}
}
