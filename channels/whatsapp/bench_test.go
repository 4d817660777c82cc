package whatsapp

import (
	"os"
	"path/filepath"
	"testing"
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
