package audience

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wasla/wasla/internal/redistest"
)

// BenchmarkImport1M imports a generated 1,000,000-row audience (national and international
// numbers, Arabic-Indic digits, 1 % bad rows, 1 % duplicates, two attributes) into a real
// redis-server and reports rows/s and the process's peak resident memory (VmHWM). Run it
// alone, once:
//
//	go test -run '^$' -bench Import1M -benchtime 1x ./campaigns/audience/
func BenchmarkImport1M(b *testing.B) {
	const rows = 1_000_000
	path := filepath.Join(b.TempDir(), "audience.csv")
	if err := writeAudience(path, rows); err != nil {
		b.Fatal(err)
	}
	srv := redistest.Start(b)
	phones, _ := NewPhones("SA")
	ctx := context.Background()
	debug.FreeOSMemory()
	b.ResetTimer()
	for i := range b.N {
		store, err := NewRedis(srv.Client(b), "bench", "c"+strconv.Itoa(i))
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		rep, err := Import(ctx, f, store, Options{Phones: phones, Marketing: true})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		if rep.Rows != rows || rep.SkippedBy(Invalid) != rows/100 || rep.SkippedBy(Duplicate) != rows/100 {
			b.Fatalf("report: rows %d, invalid %d, duplicates %d", rep.Rows, rep.SkippedBy(Invalid), rep.SkippedBy(Duplicate))
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		// The importer's own CPU per row, apart from redis-server and the machine's load.
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/rows, "cpu-µs/row")
	}
	b.StopTimer()
	if hwm, err := peakRSS(); err == nil {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MB")
	}
}

// writeAudience writes a test audience of n data rows to path, streaming.
func writeAudience(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "name,phone,city")
	arabic := []rune("٠١٢٣٤٥٦٧٨٩")
	for i := range n {
		num := 500000000 + i
		switch {
		case i%100 == 7:
			fmt.Fprintf(w, "bad %d,05O%d,Riyadh\n", i, num) // a letter O
		case i%100 == 13:
			fmt.Fprintf(w, "dup %d,+966 %d,Riyadh\n", i, num-1) // the row before's number
		case i%3 == 0:
			fmt.Fprintf(w, "name %d,0%d,Jeddah\n", i, num)
		case i%3 == 1:
			fmt.Fprintf(w, "name %d,+966 %d,Riyadh\n", i, num)
		default:
			var s strings.Builder
			for _, d := range "0" + strconv.Itoa(num) {
				s.WriteRune(arabic[d-'0'])
			}
			fmt.Fprintf(w, "اسم %d,%s,مكة\n", i, s.String())
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// cpuTime returns the CPU time the process (not redis-server, its child) has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS returns the process's peak resident set size in bytes (Linux: VmHWM).
func peakRSS() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
