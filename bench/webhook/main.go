// Command webhook is the load benchmark of `wasla serve` as a customer feels it: it
// starts its own redis-server, a fake Graph API that answers after -graph-delay (150 ms by
// default, like Meta's), and the real server (server.Build from a generated
// configuration, the same wiring as `wasla serve`), then offers -rate signed text-message
// webhooks per second over loopback HTTP for -duration. Every message runs through the
// flows and its reply goes through the outbox to the fake Graph API, which notes when the
// reply for each message arrives: replies are matched to messages per contact, in order
// (each message gets one reply and a contact's replies are sent in order).
//
// In the same run, with the same server's consumers running, it measures a baseline: a
// bare net/http handler on the same HTTP stack and the same Redis that reads the body and
// pushes the message to the same intake, without signature check or parsing. Its messages
// are handled and answered by the same workers and senders, so the ratio of the two ack
// rates compares the webhook's own cost, like with like.
//
// The last line holds every figure (see docs/bench.md for how to read them):
//
//	bench offered=<msg/s> graph_delay_ms=… acked=<msg/s> ack_p50_ms=… ack_p99_ms=…
//	  replies=<msg/s> reply_p50_ms=… reply_p99_ms=… unanswered=… base_acked=… base_replies=…
//	  ratio=… redis_bytes_per_contact=… load=<1-minute load average>
//
// Usage:
//
//	go run ./bench/webhook [-rate 1000] [-duration 10s] [-graph-delay 150ms] [-throughput 1000]
//	    [-concurrency 64] [-contacts 20000] [-workers 16] [-burst-window 0] [-drain 15s]
//	    [-stream-node-max-bytes 0] [-port-base 0] [-cpuprofile f]
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/server"
	"github.com/wasla/wasla/store"
)

const (
	appSecret = "bench-app-secret"
	numberID  = "106540352242922"
	display   = "15550783881"
	// phoneBase is the first contact's number; phases use disjoint contact ranges.
	phoneBase = 966500000000
)

type options struct {
	duration, graphDelay, drain, burst time.Duration
	refuseLag                          time.Duration
	warmup                             time.Duration
	rate, concurrency, contacts        int
	throughput, portBase, workers      int
	streamNode, refuseDepth            int
	graphH2                            bool
	cpuprofile, memprofile             string
	sweep                              bool
	sweepRates                         []int
	sweepDelays                        []time.Duration
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long each phase offers webhooks")
	flag.IntVar(&o.rate, "rate", 1000, "offered load in messages per second (0: as fast as the clients go)")
	flag.IntVar(&o.concurrency, "concurrency", 64, "concurrent HTTP clients posting webhooks")
	flag.IntVar(&o.contacts, "contacts", 20000, "distinct contacts the messages of a phase come from")
	flag.DurationVar(&o.graphDelay, "graph-delay", 150*time.Millisecond, "how long the fake Graph API takes to answer a send")
	flag.IntVar(&o.workers, "workers", 16, "the server's limits.workers (inbound messages handled at once)")
	flag.IntVar(&o.throughput, "throughput", 1000, "the inbox number's throughput limit (messages per second)")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "an unmeasured first phase that opens connections and loads scripts")
	flag.DurationVar(&o.drain, "drain", 15*time.Second, "how long to wait after a phase for its last replies")
	flag.DurationVar(&o.burst, "burst-window", 0, "the flows' burst_window (0: off); replies then come from the timer loop")
	flag.IntVar(&o.portBase, "port-base", 0, "fixed ports: redis on N, fake Graph API on N+1, server on N+2, baseline on N+3 (0: free ports)")
	flag.IntVar(&o.streamNode, "stream-node-max-bytes", 0, "the redis-server's stream-node-max-bytes (0: Redis's default, 4096)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the server phase to this file")
	flag.IntVar(&o.refuseDepth, "refuse-depth", 0, "the server's limits.refuse_depth: intake depth from which webhooks are answered 503 (0: the config's default)")
	flag.DurationVar(&o.refuseLag, "refuse-lag", 0, "the server's limits.refuse_lag: reply lag from which webhooks are answered 503 (0: off, the default)")
	flag.StringVar(&o.memprofile, "memprofile", "", "write a heap profile (allocations since start: go tool pprof -sample_index=alloc_objects) after the server phase")
	flag.BoolVar(&o.graphH2, "graph-http2", false, "the fake Graph API and the server's client speak HTTP/2 (in the clear), as Meta's API does over TLS")
	flag.BoolVar(&o.sweep, "sweep", false, "run the matrix of -sweep-rates × -sweep-delays on one server and print one table")
	rates := flag.String("sweep-rates", "500,1000,2000,4000", "offered rates of the sweep, msg/s")
	delays := flag.String("sweep-delays", "0,150ms", "Graph delays of the sweep")
	flag.Parse()
	var err error
	if o.sweepRates, o.sweepDelays, err = parseSweep(*rates, *delays); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(2)
	}
	if o.duration <= 0 || o.concurrency <= 0 || o.contacts <= 0 || o.rate < 0 || o.graphDelay < 0 || o.throughput <= 0 || o.workers <= 0 {
		fmt.Fprintln(os.Stderr, "webhook: -duration, -concurrency, -contacts and -throughput must be positive, -rate and -graph-delay not negative")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "wasla-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rs, err := startRedis(dir, port(o.portBase, 0), o.streamNode)
	if err != nil {
		return err
	}
	defer rs.stop()
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr})
	defer rdb.Close()

	graph := newFakeGraph(o.graphDelay)
	graphLn, err := listen(port(o.portBase, 1))
	if err != nil {
		return err
	}
	gs := &http.Server{Handler: graph, ReadHeaderTimeout: 10 * time.Second}
	if o.graphH2 {
		// Meta's Graph API speaks HTTP/2 (over TLS); without certificates the stand-in
		// speaks it in the clear, and the server's client below does too.
		gs.Protocols = h2cOnly()
	}
	go func() { _ = gs.Serve(graphLn) }()
	defer gs.Close()
	graphURL := "http://" + graphLn.Addr().String()

	srv, closeSrv, err := buildServer(ctx, dir, "redis://"+rs.addr, graphURL, o)
	if err != nil {
		return err
	}
	defer closeSrv()
	ln, err := listen(port(o.portBase, 2))
	if err != nil {
		return err
	}
	srvCtx, stopSrv := context.WithCancel(ctx)
	defer stopSrv()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(srvCtx, ln) }()
	base := "http://" + ln.Addr().String()
	if err := waitReady(base + "/readyz"); err != nil {
		return err
	}
	fmt.Printf("redis-server %s, fake Graph API %s (answers after %v), server %s; %d msg/s offered for %v from %d clients, %d contacts per phase, throughput limit %d/s, burst window %v\n",
		rs.addr, graphURL, o.graphDelay, base, o.rate, o.duration, o.concurrency, o.contacts, o.throughput, o.burst)

	intake := store.NewIntake(rdb, store.Options{})
	// Warm-up: connections to Redis and the Graph API opened, scripts loaded, not measured.
	if o.warmup > 0 {
		w := o
		w.duration = o.warmup
		if _, err := phase(ctx, "warm-up", base+"/webhook", true, 2, graph, intake, rdb, w); err != nil {
			return err
		}
	}

	// Phase 1: the baseline handler, pushing to the same intake the server's workers take
	// from, with those workers and senders running.
	baseLn, err := listen(port(o.portBase, 3))
	if err != nil {
		return err
	}
	bs := &http.Server{Handler: baselineHandler(srv.Intake()), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = bs.Serve(baseLn) }()
	defer bs.Close()
	baseURL := "http://" + baseLn.Addr().String() + "/"
	if o.sweep {
		if err := sweep(ctx, o, base+"/webhook", baseURL, graph, intake, rdb); err != nil {
			return err
		}
		stopSrv()
		return <-srvDone
	}
	baseRes, err := phase(ctx, "baseline", baseURL, false, 0, graph, intake, rdb, o)
	if err != nil {
		return err
	}

	// Phase 2: the real webhook.
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	res, err := phase(ctx, "server", base+"/webhook", true, 1, graph, intake, rdb, o)
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if o.memprofile != "" {
		if err := writeHeapProfile(o.memprofile); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}

	// Each phase's messages come from min(messages, contacts) distinct contacts.
	touched := min(baseRes.acked.n, int64(o.contacts)) + min(res.acked.n, int64(o.contacts)) +
		min(int64(o.warmup.Seconds()*float64(o.rate)), int64(o.contacts))
	perContact, err := redisBytesPerContact(ctx, rdb, touched)
	if err != nil {
		return err
	}
	stopSrv()
	if err := <-srvDone; err != nil {
		return err
	}

	fmt.Printf("bench offered=%d graph_delay_ms=%.0f burst_window_ms=%.0f acked=%.0f refused=%.0f ack_p50_ms=%.2f ack_p99_ms=%.2f replies=%.0f reply_p50_ms=%.1f reply_p99_ms=%.1f unanswered=%d base_acked=%.0f base_replies=%.0f base_reply_p99_ms=%.1f ratio=%.2f cpu_us_per_reply=%.0f redis_cpu_us_per_reply=%.0f allocs_per_reply=%.0f alloc_bytes_per_reply=%.0f redis_bytes_per_contact=%.0f load=%s\n",
		o.rate, ms(o.graphDelay), ms(o.burst), res.acked.rate(), res.refusedRate(), ms(res.acked.p50), ms(res.acked.p99),
		res.replyRate, ms(res.replies.p50), ms(res.replies.p99), res.unanswered,
		baseRes.acked.rate(), baseRes.replyRate, ms(baseRes.replies.p99),
		res.acked.rate()/baseRes.acked.rate(), us(res.cpuPerMsg), us(res.redisCPUPerMsg), res.allocsPerMsg, res.bytesPerMsg, perContact, loadAverage())
	return nil
}

// port is the fixed port of service i when base is set, 0 (any free port) otherwise.
func port(base, i int) int {
	if base == 0 {
		return 0
	}
	return base + i
}

func listen(port int) (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// processCPU is the user and system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the user and system CPU time redis-server used so far (0 if unknown).
func redisCPU(ctx context.Context, rdb *redis.Client) time.Duration {
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		return 0
	}
	var total float64
	for _, name := range []string{"used_cpu_sys", "used_cpu_user"} {
		for line := range strings.Lines(info) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
				f, _ := strconv.ParseFloat(v, 64)
				total += f
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}

// phaseResult is what one phase measured.
type phaseResult struct {
	// cpuPerMsg and redisCPUPerMsg are the CPU time of this process (server, load
	// generator and fake Graph API together) and of redis-server per reply, from the first
	// POST to the end of the drain: figures a busy machine changes far less than rates.
	cpuPerMsg, redisCPUPerMsg time.Duration
	// allocsPerMsg and bytesPerMsg are this process's heap allocations per reply: unlike
	// time, they do not depend on how busy the machine is.
	allocsPerMsg, bytesPerMsg float64
	refused                   int64     // POSTs answered 503 (Meta would deliver them again later)
	acked                     latencies // webhook POST → 200 or 503
	replies                   latencies // webhook POST started → reply reached the Graph API
	replyRate                 float64   // replies per second, from the first reply to the last
	unanswered                int64     // accepted messages without a reply when the drain ended
}

// refusedRate is the 503 answers per second.
func (r phaseResult) refusedRate() float64 {
	return float64(r.refused) / r.acked.elapsed.Seconds()
}

// phase offers o.rate webhooks per second to url for o.duration from contacts of range
// idx, then waits up to o.drain for their replies, and prints a line about each.
func phase(ctx context.Context, name, url string, sign bool, idx int, graph *fakeGraph, intake *store.Intake, rdb *redis.Client, o options) (phaseResult, error) {
	graph.reset()
	redisBefore := redisCPU(ctx, rdb)
	acked, refused, err := load(url, sign, idx*o.contacts, graph, o)
	if err != nil {
		return phaseResult{}, fmt.Errorf("%s: %w", name, err)
	}
	start := acked.start
	fmt.Printf("%-9s acks:    %d messages in %v: %.0f msg/s, %d refused (503), p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		name+":", acked.n, acked.elapsed.Round(time.Millisecond), acked.rate(), refused, ms(acked.p50), ms(acked.p99), ms(acked.max))
	derr := drain(ctx, intake, graph, acked.n, o.drain+o.burst)
	cpu, redisAfter := processCPU()-acked.cpuStart, redisCPU(ctx, rdb)
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	n, first, last, lat := graph.results()
	r := phaseResult{acked: acked, refused: refused, replies: summarize(lat, 0), unanswered: acked.n - n}
	if n > 0 {
		r.cpuPerMsg = cpu / time.Duration(n)
		r.redisCPUPerMsg = (redisAfter - redisBefore) / time.Duration(n)
		r.allocsPerMsg = float64(mem.Mallocs-acked.mallocs) / float64(n)
		r.bytesPerMsg = float64(mem.TotalAlloc-acked.allocBytes) / float64(n)
	}
	if n > 1 {
		// From the first reply to the last: a server that keeps up then shows the offered
		// rate (not less by the latency of the last reply), one behind its sending rate, and
		// with a burst window the replies only start when the first window closed.
		r.replyRate = float64(n-1) / last.Sub(first).Seconds()
	}
	fmt.Printf("%-9s replies: %d of %d in %v: %.0f msg/s end to end, webhook→reply p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		name+":", n, acked.n, last.Sub(start).Round(time.Millisecond), r.replyRate, ms(r.replies.p50), ms(r.replies.p99), ms(r.replies.max))
	if derr != nil {
		fmt.Printf("%-9s drain:   %v\n", name+":", derr)
	}
	return r, nil
}

// fakeGraph is the Graph API's messages endpoint: it notes when the reply to each contact
// arrives, matches it with the oldest unanswered message of that contact, and answers
// after delay.
type fakeGraph struct {
	delay atomic.Int64 // time.Duration; the sweep changes it between cells
	ids   atomic.Int64

	mu      sync.Mutex
	pending map[string][]time.Time // contact → POST times of its unanswered messages
	lat     []time.Duration
	first   time.Time // the phase's first matched reply
	last    time.Time
}

func newFakeGraph(delay time.Duration) *fakeGraph {
	g := &fakeGraph{pending: map[string][]time.Time{}}
	g.delay.Store(int64(delay))
	return g
}

// sent notes that a message of contact was posted at t.
func (g *fakeGraph) sent(contact string, t time.Time) {
	g.mu.Lock()
	g.pending[contact] = append(g.pending[contact], t)
	g.mu.Unlock()
}

// unsent forgets the message of contact posted at t: its webhook was refused.
func (g *fakeGraph) unsent(contact string, t time.Time) {
	g.mu.Lock()
	q := g.pending[contact]
	if i := slices.Index(q, t); i >= 0 {
		g.pending[contact] = slices.Delete(q, i, i+1)
	}
	g.mu.Unlock()
}

func (g *fakeGraph) reset() {
	g.mu.Lock()
	g.pending = map[string][]time.Time{}
	g.lat = nil
	g.first, g.last = time.Time{}, time.Time{}
	g.mu.Unlock()
}

func (g *fakeGraph) replied() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int64(len(g.lat))
}

func (g *fakeGraph) results() (n int64, first, last time.Time, lat []time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return int64(len(g.lat)), g.first, g.last, slices.Clone(g.lat)
}

func (g *fakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	// The recipient is the body's "to": found by a byte search rather than a JSON decoder,
	// so that the stand-in takes little of the CPU the server shares with it.
	body, err := io.ReadAll(r.Body)
	_, rest, found := bytes.Cut(body, []byte(`"to":"`))
	to, _, closed := bytes.Cut(rest, []byte(`"`))
	if err != nil || !found || !closed {
		http.Error(w, `{"error":{"message":"bad body","code":100}}`, http.StatusBadRequest)
		return
	}
	contact := strings.TrimPrefix(string(to), "+")
	g.mu.Lock()
	if q := g.pending[contact]; len(q) > 0 {
		g.lat = append(g.lat, now.Sub(q[0]))
		if g.first.IsZero() {
			g.first = now
		}
		g.last = now
		g.pending[contact] = q[1:]
	}
	g.mu.Unlock()
	if delay := time.Duration(g.delay.Load()); delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	out := make([]byte, 0, 160)
	out = append(out, `{"messaging_product":"whatsapp","contacts":[{"input":"`...)
	out = append(out, contact...)
	out = append(out, `","wa_id":"`...)
	out = append(out, contact...)
	out = append(out, `"}],"messages":[{"id":"wamid.BENCH`...)
	out = strconv.AppendInt(out, g.ids.Add(1), 10)
	out = append(out, `"}]}`...)
	_, _ = w.Write(out)
}

// buildServer writes a flow and a configuration into dir and builds the server from them
// exactly as `wasla serve` does.
func buildServer(ctx context.Context, dir, redisURL, graphURL string, o options) (*server.Server, func(), error) {
	flowsDir := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flowsDir, 0o755); err != nil {
		return nil, nil, err
	}
	flow := "flow: thanks\ntriggers:\n  - fallback: true\nsteps:\n  - say: \"Thanks {{ contact.name }}, we got your message.\"\n"
	if err := os.WriteFile(filepath.Join(flowsDir, "thanks.yaml"), []byte(flow), 0o644); err != nil {
		return nil, nil, err
	}
	if o.burst > 0 {
		settings := fmt.Sprintf("settings:\n  burst_window: %v\n", o.burst)
		if err := os.WriteFile(filepath.Join(flowsDir, "settings.yaml"), []byte(settings), 0o644); err != nil {
			return nil, nil, err
		}
	}
	yaml := fmt.Sprintf(`listen: 127.0.0.1:0
redis: %s
flows: flows
whatsapp:
  app_secret: %s
  verify_token: bench
  graph_url: %s
numbers:
  - id: "%s"
    display: "+%s"
    role: inbox
    waba: "102290129340398"
    token: bench-token
    throughput: %d
limits:
  reload_interval: 0
  workers: %d
`, redisURL, appSecret, graphURL, numberID, display, o.throughput, o.workers)
	if o.refuseDepth > 0 {
		yaml += fmt.Sprintf("  refuse_depth: %d\n", o.refuseDepth)
	}
	if o.refuseLag > 0 {
		yaml += fmt.Sprintf("  refuse_lag: %v\n", o.refuseLag)
	}
	path := filepath.Join(dir, "wasla.yaml")
	cfg, err := config.Parse(path, []byte(yaml), nil)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	bo := server.BuildOptions{Logger: log}
	if o.graphH2 {
		hc := whatsapp.NewHTTPClient()
		t := hc.Transport.(*http.Transport).Clone()
		t.Protocols = h2cOnly()
		hc.Transport = t
		bo.HTTP = hc
	}
	return server.Build(ctx, cfg, bo)
}

// writeHeapProfile writes the allocations profile of the whole run to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// h2cOnly is the protocol set of HTTP/2 without TLS ("prior knowledge").
func h2cOnly() *http.Protocols {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	return &p
}

// webhookBody is one text message webhook in Meta's shape.
func webhookBody(seq int64, waID string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"%s","phone_number_id":"%s"},"contacts":[{"profile":{"name":"Customer %s"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"wamid.BENCH.%d","timestamp":"%d","type":"text","text":{"body":"Hello, is order %d ready?"}}]},"field":"messages"}]}]}`,
		display, numberID, waID, waID, waID, seq, time.Now().Unix(), seq)
}

// sweep runs a baseline and a server phase for every Graph delay and offered rate of the
// matrix, on the one server, each cell from contacts of its own, and prints one table.
func sweep(ctx context.Context, o options, url, baseURL string, graph *fakeGraph, intake *store.Intake, rdb *redis.Client) error {
	type row struct {
		delay     time.Duration
		rate      int
		base, srv phaseResult
		load      string
	}
	var rows []row
	cell := 0
	for _, delay := range o.sweepDelays {
		graph.delay.Store(int64(delay))
		for _, rate := range o.sweepRates {
			c := o
			c.rate, c.graphDelay = rate, delay
			fmt.Printf("--- cell: graph delay %v, %d msg/s offered\n", delay, rate)
			b, err := phase(ctx, "baseline", baseURL, false, 3+2*cell, graph, intake, rdb, c)
			if err != nil {
				return err
			}
			r, err := phase(ctx, "server", url, true, 4+2*cell, graph, intake, rdb, c)
			if err != nil {
				return err
			}
			rows = append(rows, row{delay: delay, rate: rate, base: b, srv: r, load: loadAverage()})
			cell++
		}
	}
	fmt.Printf("\nsweep: %v per phase, throughput limit %d/s, %d workers, burst window %v, refuse depth %d (0: default), refuse lag %v\n", o.duration, o.throughput, o.workers, o.burst, o.refuseDepth, o.refuseLag)
	fmt.Println("| Graph delay | offered/s | acked/s | refused/s | ack p50 ms | ack p99 ms | replies/s | reply p50 ms | reply p99 ms | unanswered | baseline replies/s | baseline reply p99 ms | replies ratio | acks ratio | CPU µs/reply | Redis CPU µs/reply | allocs/reply | load |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Printf("| %v | %d | %.0f | %.0f | %.2f | %.2f | %.0f | %.1f | %.1f | %d | %.0f | %.1f | %.2f | %.2f | %.0f | %.0f | %.0f | %s |\n",
			r.delay, r.rate, r.srv.acked.rate(), r.srv.refusedRate(), ms(r.srv.acked.p50), ms(r.srv.acked.p99),
			r.srv.replyRate, ms(r.srv.replies.p50), ms(r.srv.replies.p99), r.srv.unanswered,
			r.base.replyRate, ms(r.base.replies.p99), r.srv.replyRate/r.base.replyRate, r.srv.acked.rate()/r.base.acked.rate(),
			us(r.srv.cpuPerMsg), us(r.srv.redisCPUPerMsg), r.srv.allocsPerMsg, r.load)
	}
	return nil
}

// parseSweep reads the comma-separated rates and delays of the sweep.
func parseSweep(rates, delays string) ([]int, []time.Duration, error) {
	var rs []int
	for f := range strings.SplitSeq(rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, nil, fmt.Errorf("-sweep-rates: %q is not a positive rate", f)
		}
		rs = append(rs, n)
	}
	var ds []time.Duration
	for f := range strings.SplitSeq(delays, ",") {
		f = strings.TrimSpace(f)
		if f == "0" {
			f = "0s"
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("-sweep-delays: %q is not a duration", f)
		}
		ds = append(ds, d)
	}
	return rs, ds, nil
}

// latencies summarizes a set of measured durations.
type latencies struct {
	start         time.Time     // when the first POST could go (bodies built)
	cpuStart      time.Duration // this process's CPU time then
	mallocs       uint64        // and its heap allocations
	allocBytes    uint64
	n             int64
	elapsed       time.Duration
	p50, p99, max time.Duration
}

func (l latencies) rate() float64 { return float64(l.n) / l.elapsed.Seconds() }

func summarize(all []time.Duration, elapsed time.Duration) latencies {
	if len(all) == 0 {
		return latencies{elapsed: elapsed}
	}
	slices.Sort(all)
	at := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return latencies{n: int64(len(all)), elapsed: elapsed, p50: at(0.50), p99: at(0.99), max: all[len(all)-1]}
}

// seq numbers messages across phases and clients.
var seq atomic.Int64

// load posts webhooks to target from o.concurrency clients for o.duration, o.rate per
// second in all (each client on its own schedule; a client behind schedule posts at
// once), from contacts first..first+o.contacts-1, and measures each answer's latency.
// Each client holds one keep-alive connection and writes requests built and signed before
// the clock starts, reading answers with http.ReadResponse: the generator shares the
// machine with the server, and net/http's Transport (a goroutine pair and a pool per
// connection) would take CPU the server then lacks. Every answer must be 200 or 503
// (refused for now: Meta would deliver it again); the latencies count both, the returned
// n counts the 200s.
func load(target string, sign bool, first int, graph *fakeGraph, o options) (latencies, int64, error) {
	u, err := url.Parse(target)
	if err != nil {
		return latencies{}, 0, err
	}
	type post struct {
		raw  []byte // the whole HTTP request
		waID string
	}
	// Enough prepared posts for the phase at the offered rate (or 20,000 per second when
	// the rate is open), each client taking from its own share.
	perClient := int(o.duration.Seconds()*float64(cmp.Or(o.rate, 20000)))/o.concurrency + 2
	posts := make([][]post, o.concurrency)
	for c := range posts {
		posts[c] = make([]post, perClient)
		for i := range posts[c] {
			n := seq.Add(1)
			waID := strconv.Itoa(phoneBase + first + int(n)%o.contacts)
			body := webhookBody(n, waID)
			raw := fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", u.RequestURI(), u.Host, len(body))
			if sign {
				raw = fmt.Appendf(raw, "%s: %s\r\n", whatsapp.SignatureHeader, whatsapp.Sign(appSecret, body))
			}
			raw = append(append(raw, "\r\n"...), body...)
			posts[c][i] = post{raw: raw, waID: waID}
		}
	}
	lat := make([][]time.Duration, o.concurrency)
	acked := make([]int64, o.concurrency)
	refused := make([]int64, o.concurrency)
	lastAnswer := make([]time.Time, o.concurrency)
	errs := make([]error, o.concurrency)
	var interval time.Duration
	if o.rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(o.concurrency) / float64(o.rate))
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	cpuStart := processCPU()
	start := time.Now()
	deadline := start.Add(o.duration)
	var wg sync.WaitGroup
	for c := range o.concurrency {
		wg.Go(func() {
			var conn net.Conn
			var br *bufio.Reader
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			next := start.Add(interval * time.Duration(c) / time.Duration(o.concurrency))
			for _, p := range posts[c] {
				if interval > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(interval)
				}
				if !time.Now().Before(deadline) {
					return
				}
				t0 := time.Now()
				graph.sent(p.waID, t0)
				code, err := exchange(&conn, &br, u.Host, p.raw)
				if err != nil {
					graph.unsent(p.waID, t0)
					errs[c] = err
					return
				}
				lastAnswer[c] = time.Now()
				lat[c] = append(lat[c], lastAnswer[c].Sub(t0))
				switch code {
				case http.StatusOK:
					acked[c]++
				case http.StatusServiceUnavailable:
					graph.unsent(p.waID, t0)
					refused[c]++
				default:
					graph.unsent(p.waID, t0)
					errs[c] = fmt.Errorf("POST answered %d", code)
					return
				}
			}
		})
	}
	wg.Wait()
	// The phase offered load for o.duration, or until its last answer when that came later
	// (not until the clients woke from their last sleep past the deadline).
	elapsed := o.duration
	for _, t := range lastAnswer {
		elapsed = max(elapsed, t.Sub(start))
	}
	if err := errors.Join(errs...); err != nil {
		return latencies{}, 0, err
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return latencies{}, 0, errors.New("no request completed")
	}
	l := summarize(all, elapsed)
	l.n, l.start, l.cpuStart, l.mallocs, l.allocBytes = sum(acked), start, cpuStart, mem.Mallocs, mem.TotalAlloc
	return l, sum(refused), nil
}

// exchange writes one raw request on *conn (dialling host when there is none) and reads
// the answer's status, draining its body. A connection the server closed is dialled
// again once: keep-alive connections may be closed between requests.
func exchange(conn *net.Conn, br **bufio.Reader, host string, raw []byte) (int, error) {
	for attempt := 0; ; attempt++ {
		if *conn == nil {
			c, err := net.Dial("tcp", host)
			if err != nil {
				return 0, err
			}
			*conn, *br = c, bufio.NewReader(c)
		}
		resp, err := func() (*http.Response, error) {
			if _, err := (*conn).Write(raw); err != nil {
				return nil, err
			}
			return http.ReadResponse(*br, nil)
		}()
		if err != nil {
			(*conn).Close()
			*conn = nil
			if attempt == 0 {
				continue
			}
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Close {
			(*conn).Close()
			*conn = nil
		}
		return resp.StatusCode, nil
	}
}

func sum(v []int64) int64 {
	var n int64
	for _, x := range v {
		n += x
	}
	return n
}

// drain waits up to timeout until the intake is empty and every accepted message got its
// reply.
func drain(ctx context.Context, intake *store.Intake, graph *fakeGraph, want int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	depth := int64(-1)
	for {
		// The replies are counted in memory; the intake's depth costs 1,024 commands, so it
		// is read only once every reply is in, not on every turn of the wait (which would
		// load the Redis being measured).
		if graph.replied() >= want {
			var err error
			if depth, err = intake.Depth(ctx); err == nil && depth == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up after %v: %d messages still queued (-1: not read), %d of %d replies sent", timeout, depth, graph.replied(), want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// baselineHandler reads the body, pushes one message to the server's intake (so that, like
// the webhook's, it wakes the server's workers at once), and answers 200: the Redis work
// of the webhook without its checks and parsing.
func baselineHandler(intake server.Intake) http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, server.MaxWebhookBody))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		// The contact is the "from" of the body; finding it is the least parsing possible.
		_, rest, _ := bytes.Cut(body, []byte(`"from":"`))
		waID, _, _ := bytes.Cut(rest, []byte(`"`))
		i := n.Add(1)
		msg := chat.Inbound{ID: "wamid.BASE." + strconv.FormatInt(i, 10), Contact: chat.ContactID(waID),
			ProfileName: "Customer", Number: numberID, Kind: chat.KindText, Text: "Hello, is order ready?", At: time.Now()}
		if err := intake.Push(r.Context(), []chat.Inbound{msg}); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// redisBytesPerContact is Redis's used memory, less that of an empty server, per contact.
func redisBytesPerContact(ctx context.Context, rdb *redis.Client, contacts int64) (float64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	used := infoField(info, "used_memory")
	empty := infoField(info, "used_memory_startup")
	return float64(used-empty) / float64(contacts), nil
}

func infoField(info, name string) int64 {
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// loadAverage is the machine's 1-minute load average, "?" where it cannot be read.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	first, _, _ := strings.Cut(string(b), " ")
	return first
}

func waitReady(url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("server not ready at %s", url)
}

// redisServer is a redis-server process on a loopback port, without persistence.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(dir string, port, streamNode int) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("the benchmark needs redis-server on PATH: %w", err)
	}
	if port == 0 {
		ln, err := listen(0)
		if err != nil {
			return nil, err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	rs := &redisServer{addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	rs.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if streamNode > 0 {
		rs.cmd.Args = append(rs.cmd.Args, "--stream-node-max-bytes", strconv.Itoa(streamNode))
	}
	if err := rs.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = rs.cmd.Wait(); close(rs.done) }()
	c := redis.NewClient(&redis.Options{Addr: rs.addr})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return rs, nil
		}
		select {
		case <-rs.done:
			return nil, fmt.Errorf("redis-server exited at start-up (see %s)", filepath.Join(dir, "redis.log"))
		default:
		}
		if time.Now().After(deadline) {
			rs.stop()
			return nil, fmt.Errorf("redis-server did not answer PING: %w", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (rs *redisServer) stop() {
	_ = rs.cmd.Process.Signal(os.Interrupt)
	select {
	case <-rs.done:
	case <-time.After(5 * time.Second):
		_ = rs.cmd.Process.Kill()
		<-rs.done
	}
}
