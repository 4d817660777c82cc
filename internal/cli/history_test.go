package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
	"github.com/wasla/wasla/store"
)

var histBase = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// seedHistory commits perContact events for each of contacts into a fresh miniredis, one
// minute apart, alternating inbound and outbound, and returns its redis:// URL.
func seedHistory(t testing.TB, contacts, perContact int, text string) (string, *store.Redis) {
	t.Helper()
	url, s := emptyHistory(t)
	ctx := context.Background()
	for ci := range contacts {
		id := chat.ContactID(fmt.Sprintf("96650%07d", ci))
		st := &contact.State{Contact: contact.Contact{ID: id}}
		const batch = 500
		for start := 0; start < perContact; start += batch {
			var evs []chat.Event
			for i := start; i < min(start+batch, perContact); i++ {
				at := histBase.Add(time.Duration(i) * time.Minute)
				body := fmt.Sprintf("%s %d", text, i)
				if i%2 == 0 {
					in := &chat.Inbound{ID: fmt.Sprintf("wamid.%s.%d", id, i), Contact: id, Number: "111", Kind: chat.KindText, Text: body, At: at}
					evs = append(evs, chat.Event{Kind: chat.EventInbound, Number: "111", At: at, Inbound: in})
				} else {
					out := &chat.Outbound{To: id, From: "111", Kind: chat.KindText, Text: body}
					evs = append(evs, chat.Event{Kind: chat.EventOutbound, Number: "111", At: at, Outbound: out, Flow: "main", Step: "say_1"})
				}
			}
			if err := s.Commit(ctx, st, evs); err != nil {
				t.Fatal(err)
			}
		}
	}
	return url, s
}

// emptyHistory returns the redis:// URL and the store of a fresh miniredis.
func emptyHistory(t testing.TB) (string, *store.Redis) {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	s, err := store.New(c, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return "redis://" + m.Addr(), s
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut strings.Builder
	code = Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHistoryExport(t *testing.T) {
	url, _ := seedHistory(t, 3, 10, "hello")
	tests := []struct {
		name      string
		args      []string
		wantLines int    // output lines, CSV header included
		wantFirst string // the first line, or "" not to check
		wantErr   string // end of the summary on stderr
	}{
		{"all as jsonl", []string{}, 30, "", "30 events of 3 contacts\n"},
		{"one contact", []string{"--contact", "966500000001"}, 10, "", "10 events of 1 contact\n"},
		{"unknown contact", []string{"--contact", "1"}, 0, "", "0 events of 0 contacts\n"},
		{"time range", []string{"--contact", "966500000002", "--from", "2026-03-01T08:03:00Z", "--to", "2026-03-01T11:05:00+03:00"}, 2, "", "2 events of 1 contact\n"},
		{"date range", []string{"--from", "2026-03-01", "--to", "2026-03-02"}, 30, "", "30 events of 3 contacts\n"},
		{"nothing in range", []string{"--from", "2026-03-02"}, 0, "", "0 events of 0 contacts\n"},
		{"csv", []string{"--format", "csv", "--contact", "966500000000", "--to", "2026-03-01T08:02:00Z"}, 3,
			"time,contact,number,kind,direction,text,detail,error_code,error_class,from,to,queue,id,state,wamid,error_title", "2 events of 1 contact\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"history", "export", "--redis", url}, tt.args...)
			code, out, errOut := runCLI(args...)
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, errOut)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if out == "" {
				lines = nil
			}
			if len(lines) != tt.wantLines {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tt.wantLines, out)
			}
			if tt.wantFirst != "" && lines[0] != tt.wantFirst {
				t.Errorf("first line %q, want %q", lines[0], tt.wantFirst)
			}
			if !strings.HasSuffix(errOut, tt.wantErr) {
				t.Errorf("stderr %q, want it to end in %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestHistoryExportCSVColumns(t *testing.T) {
	url, s := emptyHistory(t)
	const id = "966501234567"
	at := histBase
	evs := []chat.Event{
		{Kind: chat.EventInbound, Number: "111", At: at, Inbound: &chat.Inbound{ID: "w1", Contact: id, Kind: chat.KindText, Text: "مرحبا, \"hi\"\nthere"}},
		{Kind: chat.EventOutbound, Number: "111", At: at, Outbound: &chat.Outbound{To: id, Kind: chat.KindTemplate, Template: &chat.Template{Name: "welcome", Language: "ar"}}},
		{Kind: chat.EventInbound, Number: "222", At: at, Inbound: &chat.Inbound{ID: "w2", Contact: id, Kind: chat.KindImage, Media: &chat.Media{ID: "m1"}}},
		{Kind: chat.EventAgent, Number: "222", At: at, Outbound: &chat.Outbound{To: id, Kind: chat.KindText, Text: "agent here"}, Detail: "sara"},
		{Kind: chat.EventHandoff, Number: "222", At: at.Add(time.Second), Queue: "sales", Detail: "sales"},
		{Kind: chat.EventNumber, Number: "333", At: at.Add(time.Second), From: "222", To: "333", Detail: "222 -> 333"},
		{Kind: chat.EventError, Number: "333", At: at.Add(time.Second), Outbound: &chat.Outbound{To: id, Kind: chat.KindText, Text: "late"},
			ErrorCode: 131047, ErrorClass: "window_closed", Detail: "whatsapp error 131047 (window_closed): re-engagement message"},
		{Kind: chat.EventCall, Number: "111", At: at.Add(2 * time.Second), Detail: "call from the customer: ended after 60 s",
			Inbound: &chat.Inbound{ID: "call:c1:terminate", Contact: id, Kind: chat.KindCall, Call: &chat.Call{ID: "c1", Event: chat.CallTerminate, Direction: chat.CallUserInitiated, Status: "COMPLETED", Duration: 60}}},
		{Kind: chat.EventCall, Number: "111", At: at.Add(2 * time.Second), Detail: "call from the business: ended after 60 s",
			Inbound: &chat.Inbound{ID: "call:c2:terminate", Contact: id, Kind: chat.KindCall, Call: &chat.Call{ID: "c2", Event: chat.CallTerminate, Direction: chat.CallBusinessInitiated, Status: "COMPLETED", Duration: 60}}},
	}
	if err := s.Commit(t.Context(), &contact.State{Contact: contact.Contact{ID: id}}, evs); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("history", "export", "--redis", url, "--format", "csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"time", "contact", "number", "kind", "direction", "text", "detail", "error_code", "error_class", "from", "to", "queue", "id", "state", "wamid", "error_title"},
		{"2026-03-01T08:00:00Z", id, "111", "inbound", "in", "مرحبا, \"hi\"\nthere", "", "", "", "", "", "", "1772352000000-0", "", "", ""},
		{"2026-03-01T08:00:00Z", id, "111", "outbound", "out", "[template welcome]", "", "", "", "", "", "", "1772352000000-1", "", "", ""},
		{"2026-03-01T08:00:00Z", id, "222", "inbound", "in", "[image]", "", "", "", "", "", "", "1772352000000-2", "", "", ""},
		{"2026-03-01T08:00:00Z", id, "222", "agent", "out", "agent here", "sara", "", "", "", "", "", "1772352000000-3", "", "", ""},
		{"2026-03-01T08:00:01Z", id, "222", "handoff", "", "", "sales", "", "", "", "", "sales", "1772352001000-0", "", "", ""},
		{"2026-03-01T08:00:01Z", id, "333", "number", "", "", "222 -> 333", "", "", "222", "333", "", "1772352001000-1", "", "", ""},
		{"2026-03-01T08:00:01Z", id, "333", "error", "out", "late", "whatsapp error 131047 (window_closed): re-engagement message", "131047", "window_closed", "", "", "", "1772352001000-2", "", "", ""},
		{"2026-03-01T08:00:02Z", id, "111", "call", "in", "[call]", "call from the customer: ended after 60 s", "", "", "", "", "", "1772352002000-0", "", "", ""},
		{"2026-03-01T08:00:02Z", id, "111", "call", "out", "[call]", "call from the business: ended after 60 s", "", "", "", "", "", "1772352002000-1", "", "", ""},
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("rows\n%q\nwant\n%q", rows, want)
	}
}

// 10,000 entries over several contacts come out complete, in order per contact, as the
// events that were committed.
func TestHistoryExportManyEntries(t *testing.T) {
	url, _ := seedHistory(t, 4, 2500, "message")
	out := filepath.Join(t.TempDir(), "history.jsonl")
	code, _, errOut := runCLI("history", "export", "--redis", url, "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	next := map[chat.ContactID]int{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var ev chat.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		i := next[ev.Contact]
		next[ev.Contact]++
		want := fmt.Sprintf("message %d", i)
		got := ""
		if ev.Inbound != nil {
			got = ev.Inbound.Text
		} else if ev.Outbound != nil {
			got = ev.Outbound.Text
		}
		if got != want || !ev.At.Equal(histBase.Add(time.Duration(i)*time.Minute)) {
			t.Fatalf("contact %s entry %d: %q at %v, want %q", ev.Contact, i, got, ev.At, want)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 10000 || len(next) != 4 {
		t.Fatalf("%d events of %d contacts, want 10000 of 4", n, len(next))
	}
}

// The export's heap does not grow with the history: after 40,000 entries of about 1 KB it
// holds what it held after the first thousand, give or take a few pages.
func TestHistoryExportMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 40 MB of history")
	}
	_, s := seedHistory(t, 2, 20000, strings.Repeat("x", 1000))
	w := &heapSampler{every: 50} // the export writes in 64 KB blocks: every 3 MB or so
	n, _, err := exportHistory(context.Background(), s, w, exportOptions{format: "jsonl"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 40000 {
		t.Fatalf("exported %d events, want 40000", n)
	}
	t.Logf("live heap after the first 3 MB written %d bytes, at most %d after", w.first, w.peak)
	// Kept in memory, the entries would take over 40 MB; the export holds one page.
	const slack = 8 << 20
	if grew := int64(w.peak) - int64(w.first); grew > slack {
		t.Fatalf("heap grew by %d bytes over the export (from %d to %d), want at most %d", grew, w.first, w.peak, slack)
	}
}

// heapSampler is a writer that measures the live heap every so many writes.
type heapSampler struct {
	every, writes int
	first, peak   uint64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.writes++
	if h.writes%h.every == 0 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if h.first == 0 {
			h.first = ms.HeapAlloc
		}
		h.peak = max(h.peak, ms.HeapAlloc)
	}
	return len(p), nil
}

var _ io.Writer = (*heapSampler)(nil)

func TestHistoryExportErrors(t *testing.T) {
	t.Setenv("WASLA_REDIS", "")
	t.Setenv("WASLA_REDIS_URL", "")
	tests := []struct {
		name string
		args []string
		exit int
		want string
	}{
		{"no subcommand", []string{"history"}, exitUsage, "Usage: wasla history COMMAND"},
		{"unknown subcommand", []string{"history", "import"}, exitUsage, `unknown command "import"`},
		{"no redis", []string{"history", "export"}, exitUsage, "--redis is required"},
		{"bad format", []string{"history", "export", "--redis", "redis://127.0.0.1:1", "--format", "xml"}, exitUsage, `--format "xml"`},
		{"bad time", []string{"history", "export", "--redis", "redis://127.0.0.1:1", "--from", "yesterday"}, exitUsage, `--from: "yesterday" is neither`},
		{"empty range", []string{"history", "export", "--redis", "redis://127.0.0.1:1", "--from", "2026-02-01", "--to", "2026-01-01"}, exitUsage, "is not after"},
		{"extra argument", []string{"history", "export", "--redis", "redis://127.0.0.1:1", "all"}, exitUsage, `unexpected argument "all"`},
		{"unreachable redis", []string{"history", "export", "--redis", "redis://127.0.0.1:1?dial_timeout=200ms"}, exitFail, "connecting to redis"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(tt.args...)
			if code != tt.exit || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut, tt.exit, tt.want)
			}
		})
	}
}

// Every time in the JSONL export is UTC, as in the CSV: the engine records events in the
// flows' time zone (+03:00) and the webhook's in UTC, and one file mixing both is hard to
// sort or compare.
func TestHistoryExportJSONLTimesAreUTC(t *testing.T) {
	url, s := emptyHistory(t)
	const id = "966501234567"
	riyadh := time.FixedZone("+03", 3*60*60)
	at := histBase.In(riyadh)
	evs := []chat.Event{
		{Kind: chat.EventInbound, Number: "111", At: histBase, Inbound: &chat.Inbound{ID: "w1", Contact: id, Kind: chat.KindText, Text: "hi", At: histBase}},
		{Kind: chat.EventOutbound, Number: "111", At: at, Outbound: &chat.Outbound{To: id, Kind: chat.KindText, Text: "أهلاً"},
			Delivery: &chat.Delivery{State: chat.StateSent, Wamid: "wamid.1", At: at}},
	}
	if err := s.Commit(t.Context(), &contact.State{Contact: contact.Contact{ID: id}}, evs); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI("history", "export", "--redis", url)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "+03:00") || strings.Count(out, `"2026-03-01T08:00:00Z"`) != 4 {
		t.Errorf("want every time as 2026-03-01T08:00:00Z:\n%s", out)
	}
}
