package syncbuf_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wasla/wasla/internal/syncbuf"
)

// Writers and a reader at once: under -race this fails if Buffer is not safe, and every
// line written must be there at the end.
func TestBufferConcurrent(t *testing.T) {
	var b syncbuf.Buffer
	const writers, each = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				fmt.Fprintf(&b, "w%d-%d\n", w, i)
			}
		})
	}
	wg.Go(func() {
		for range each {
			_ = b.String()
		}
	})
	wg.Wait()
	got := b.String()
	if n := strings.Count(got, "\n"); n != writers*each {
		t.Fatalf("%d lines, want %d", n, writers*each)
	}
	for w := range writers {
		if !strings.Contains(got, fmt.Sprintf("w%d-%d\n", w, each-1)) {
			t.Errorf("writer %d's last line is missing", w)
		}
	}
}
