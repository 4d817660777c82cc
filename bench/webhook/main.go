// Command webhook is the load benchmark of `wasla serve`'s webhook: it starts its own
// redis-server on a free loopback port and a fake Graph API, runs the real server
// (server.Build from a generated configuration, the same wiring as `wasla serve`) and
// posts signed text-message webhooks to it over loopback HTTP from -concurrency clients
// for -duration. Every message runs through the flows and its reply goes to the fake
// Graph API.
//
// In the same run it measures a baseline: a bare net/http handler on the same HTTP stack
// and the same Redis that reads the body and does only the Redis work the webhook does per
// message (the intake Push), without signature, parsing, flows or workers. The last line
// compares the two:
//
//	throughput=<msg/s> baseline=<msg/s> ratio=<r> p99_ms=<ms>
//
// Usage:
//
//	go run ./bench/webhook [-duration 10s] [-concurrency 32] [-contacts 10000]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
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
	// drainTimeout bounds the wait for the workers to answer every accepted message.
	drainTimeout = 2 * time.Minute
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long each phase sends webhooks")
	concurrency := flag.Int("concurrency", 32, "concurrent HTTP clients")
	contacts := flag.Int("contacts", 10000, "distinct contacts the messages come from")
	flag.Parse()
	if *duration <= 0 || *concurrency <= 0 || *contacts <= 0 {
		fmt.Fprintln(os.Stderr, "webhook: -duration, -concurrency and -contacts must be positive")
		os.Exit(2)
	}
	if err := run(*duration, *concurrency, *contacts); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, concurrency, contacts int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "wasla-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	rs, err := startRedis(dir)
	if err != nil {
		return err
	}
	defer rs.stop()
	rdb := redis.NewClient(&redis.Options{Addr: rs.addr})
	defer rdb.Close()

	var replies atomic.Int64
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := replies.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.BENCH%d"}]}`, n)
	}))
	defer graph.Close()

	fmt.Printf("redis-server %s, fake Graph API %s, concurrency %d, duration %v, %d contacts\n",
		rs.addr, graph.URL, concurrency, duration, contacts)

	// Phase 1: the real server.
	srv, closeSrv, err := buildServer(ctx, dir, "redis://"+rs.addr, graph.URL)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srvCtx, stopSrv := context.WithCancel(ctx)
	defer stopSrv()
	srvDone := make(chan error, 1)
	go func() { srvDone <- srv.Run(srvCtx, ln) }()
	url := "http://" + ln.Addr().String() + "/webhook"
	if err := waitReady("http://" + ln.Addr().String() + "/readyz"); err != nil {
		return err
	}
	res, err := load(url, duration, concurrency, contacts, true)
	if err != nil {
		return err
	}
	fmt.Printf("server:   %d messages in %v: %.0f msg/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		res.n, res.elapsed.Round(time.Millisecond), res.rate(), ms(res.p50), ms(res.p99), ms(res.max))

	intake := store.NewIntake(rdb, store.Options{})
	drainStart := time.Now()
	if err := drain(ctx, intake, &replies, res.n); err != nil {
		fmt.Printf("drain:    %v\n", err)
	} else {
		total := res.elapsed + time.Since(drainStart)
		fmt.Printf("replies:  %d replies reached the fake Graph API, all answered %v after the load ended (%.0f msg/s end to end)\n",
			replies.Load(), time.Since(drainStart).Round(time.Millisecond), float64(res.n)/total.Seconds())
	}
	stopSrv()
	if err := <-srvDone; err != nil {
		return err
	}
	closeSrv()

	// Phase 2: the baseline, on a clean Redis.
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}
	base, err := baseline(ctx, rdb, duration, concurrency, contacts)
	if err != nil {
		return err
	}
	fmt.Printf("baseline: %d messages in %v: %.0f msg/s, p50 %.2f ms, p99 %.2f ms\n",
		base.n, base.elapsed.Round(time.Millisecond), base.rate(), ms(base.p50), ms(base.p99))

	fmt.Printf("throughput=%.0f baseline=%.0f ratio=%.2f p99_ms=%.2f\n",
		res.rate(), base.rate(), res.rate()/base.rate(), ms(res.p99))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// buildServer writes a flow and a configuration into dir and builds the server from them
// exactly as `wasla serve` does.
func buildServer(ctx context.Context, dir, redisURL, graphURL string) (*server.Server, func(), error) {
	flowsDir := filepath.Join(dir, "flows")
	if err := os.MkdirAll(flowsDir, 0o755); err != nil {
		return nil, nil, err
	}
	flow := "flow: thanks\ntriggers:\n  - fallback: true\nsteps:\n  - say: \"Thanks {{ contact.name }}, we got your message.\"\n"
	if err := os.WriteFile(filepath.Join(flowsDir, "thanks.yaml"), []byte(flow), 0o644); err != nil {
		return nil, nil, err
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
    throughput: 100000
limits:
  reload_interval: 0
`, redisURL, appSecret, graphURL, numberID, display)
	path := filepath.Join(dir, "wasla.yaml")
	cfg, err := config.Parse(path, []byte(yaml), nil)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	return server.Build(ctx, cfg, server.BuildOptions{Logger: log})
}

// webhookBody is one text message webhook in Meta's shape.
func webhookBody(seq int64, contact int) []byte {
	waID := strconv.Itoa(966500000000 + contact)
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"%s","phone_number_id":"%s"},"contacts":[{"profile":{"name":"Customer %d"},"wa_id":"%s"}],"messages":[{"from":"%s","id":"wamid.BENCH.%d","timestamp":"%d","type":"text","text":{"body":"Hello, is order %d ready?"}}]},"field":"messages"}]}]}`,
		display, numberID, contact, waID, waID, seq, time.Now().Unix(), seq)
}

type result struct {
	n             int64
	elapsed       time.Duration
	p50, p99, max time.Duration
}

func (r result) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// seq numbers messages across phases and clients.
var seq atomic.Int64

// load posts webhooks to url from concurrency clients for duration and measures each
// answer's latency. Every answer must be 200.
func load(url string, duration time.Duration, concurrency, contacts int, sign bool) (result, error) {
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, IdleConnTimeout: time.Minute,
	}}
	defer client.CloseIdleConnections()
	lat := make([][]time.Duration, concurrency)
	errs := make([]error, concurrency)
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for c := range concurrency {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				s := seq.Add(1)
				body := webhookBody(s, int(s)%contacts)
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					errs[c] = err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				if sign {
					req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign(appSecret, body))
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs[c] = err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					errs[c] = fmt.Errorf("POST answered %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return result{}, errors.New("no request completed")
	}
	slices.Sort(all)
	at := func(q float64) time.Duration { return all[min(len(all)-1, int(q*float64(len(all))))] }
	return result{n: int64(len(all)), elapsed: elapsed, p50: at(0.50), p99: at(0.99), max: all[len(all)-1]}, nil
}

// drain waits until the intake is empty and every accepted message got its reply.
func drain(ctx context.Context, intake *store.Intake, replies *atomic.Int64, want int64) error {
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	for {
		depth, err := intake.Depth(ctx)
		if err == nil && depth == 0 && replies.Load() >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %v: %d messages still queued, %d of %d replies sent", drainTimeout, depth, replies.Load(), want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// baseline serves a bare handler on the same stack: read the body, push one message to the
// same intake, answer 200.
func baseline(ctx context.Context, rdb redis.UniversalClient, duration time.Duration, concurrency, contacts int) (result, error) {
	intake := store.NewIntake(rdb, store.Options{})
	var n atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(http.MaxBytesReader(w, r.Body, server.MaxWebhookBody)); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		i := n.Add(1)
		waID := strconv.Itoa(966500000000 + int(i)%contacts)
		msg := chat.Inbound{ID: "wamid.BASE." + strconv.FormatInt(i, 10), Contact: chat.ContactID(waID),
			ProfileName: "Customer", Number: numberID, Kind: chat.KindText, Text: "Hello, is order ready?", At: time.Now()}
		if err := intake.Push(r.Context(), []chat.Inbound{msg}); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return load("http://"+ln.Addr().String()+"/", duration, concurrency, contacts, false)
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

// redisServer is a redis-server process on a free loopback port, without persistence.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

func startRedis(dir string) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("the benchmark needs redis-server on PATH: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	rs := &redisServer{addr: fmt.Sprintf("127.0.0.1:%d", port), done: make(chan struct{})}
	rs.cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
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
