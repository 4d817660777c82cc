package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/internal/redistest"
)

// lazyContacts yields n stored contacts batch by batch, building each batch when asked,
// as the store's walk does: nothing holds all of them.
type lazyContacts struct {
	n   int
	now time.Time
}

func (l lazyContacts) Scan(_ context.Context, batch int, fn func([]StoredContact) error) error {
	buf := make([]StoredContact, 0, batch)
	for i := 0; i < l.n; i += batch {
		buf = buf[:0]
		for j := i; j < min(i+batch, l.n); j++ {
			c := StoredContact{ID: chat.ContactID("9665" + fmt.Sprintf("%08d", j)), Name: "n" + strconv.Itoa(j),
				Attrs: map[string]string{"city": "Riyadh"}, LastSeen: l.now.Add(-time.Duration(j%90) * 24 * time.Hour)}
			if j%10 == 0 {
				c.Tags = []string{"vip"}
			}
			buf = append(buf, c)
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkStartContacts1M starts a campaign whose audience is chosen by expression over
// 1,000,000 stored contacts (a tenth tagged vip, two thirds of them seen in the last 60
// days) against a real redis-server, and reports contacts evaluated per second, the
// contacts chosen and the process's peak resident memory:
//
//	go test -run '^$' -bench StartContacts1M -benchtime 1x ./campaigns/runner/
func BenchmarkStartContacts1M(b *testing.B) {
	srv := redistest.Start(b)
	if srv == nil {
		b.Skip("no redis-server")
	}
	const n = 1_000_000
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := b.TempDir()
	file := filepath.Join(dir, "vip.campaign.yaml")
	src := strings.Replace(strings.Replace(vipCampaign, "  csv: vip.csv\n", "", 1), "720h", "1440h", 1)
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		ctl := NewControl(srv.Client(b), fmt.Sprintf("b%d", time.Now().UnixNano()))
		start := time.Now()
		res, diags, err := StartWith(context.Background(), ctl, file, StartOptions{Contacts: lazyContacts{n: n, now: now}}, now)
		if diags != nil || err != nil {
			b.Fatal(diags, err)
		}
		elapsed := time.Since(start)
		if res.Contacts.Scanned != n || res.Added != res.Contacts.Matched {
			b.Fatalf("scanned %d, matched %d, added %d", res.Contacts.Scanned, res.Contacts.Matched, res.Added)
		}
		b.ReportMetric(n/elapsed.Seconds(), "contacts/s")
		b.ReportMetric(float64(res.Added), "chosen")
		if hwm, err := peakRSS(); err == nil {
			b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MB")
		}
	}
}

// peakRSS returns the process's peak resident set size in bytes (Linux: VmHWM).
func peakRSS() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
