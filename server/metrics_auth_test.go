package server

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const metricsToken = "metrics-secret-7Qz"

func getWith(t *testing.T, url, auth string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestMetricsNeedTheToken(t *testing.T) {
	r := newRig(t, nil)
	for _, tc := range []struct {
		name, auth string
		code       int
	}{
		{"no header", "", 401},
		{"wrong token", "Bearer nope", 401},
		{"token without scheme", metricsToken, 401},
		{"basic scheme", "Basic " + metricsToken, 401},
		{"right token", "Bearer " + metricsToken, 200},
		{"scheme in lower case", "bearer " + metricsToken, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := getWith(t, r.http.URL+"/metrics", tc.auth); code != tc.code {
				t.Errorf("GET /metrics with %q = %d, want %d", tc.auth, code, tc.code)
			}
		})
	}
}

func TestMetricsNotServedWithoutTokenOrAddress(t *testing.T) {
	r := newRig(t, func(d *Deps) { d.MetricsToken = "" })
	if code := getWith(t, r.http.URL+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("GET /metrics = %d, want 404", code)
	}
}

// countingIntake counts Depth calls: Redis work a scrape would cost.
type countingIntake struct {
	*fakeIntake
	depths atomic.Int64
}

func (c *countingIntake) Depth(ctx context.Context) (int64, error) {
	c.depths.Add(1)
	return c.fakeIntake.Depth(ctx)
}

func TestMetricsOnTheirOwnAddressCostNoRedisPerScrape(t *testing.T) {
	intake := &countingIntake{fakeIntake: newFakeIntake()}
	ticks := &manualTicks{}
	r := newRig(t, func(d *Deps) {
		d.MetricsToken = ""
		d.MetricsAddr = "127.0.0.1:0"
		d.Intake = intake
		d.Tick = ticks.Tick
	})
	mainAddr := serveBuilt(t, r.srv, func() {})
	addrRE := regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if m := addrRE.FindStringSubmatch(r.logs.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no metrics listener logged:\n%s", r.logs)
		} else {
			time.Sleep(time.Millisecond) // polling a log, not waiting for time to pass
		}
	}
	if code := getWith(t, "http://"+mainAddr+"/metrics", ""); code != http.StatusNotFound {
		t.Errorf("main address /metrics = %d, want 404", code)
	}
	before := intake.depths.Load()
	for range 20 {
		if code := getWith(t, "http://"+addr+"/metrics", ""); code != 200 {
			t.Fatalf("metrics address /metrics = %d, want 200", code)
		}
	}
	if got := intake.depths.Load() - before; got != 0 {
		t.Errorf("20 scrapes read the intake depth %d times, want 0 (cached)", got)
	}
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	if err := ticks.fire(wait, DefaultDepthInterval); err != nil {
		t.Fatal(err)
	}
	if err := ticks.fire(wait, DefaultDepthInterval); err != nil { // the first refresh is done once the second tick is taken
		t.Fatal(err)
	}
	if got := intake.depths.Load(); got < 2 {
		t.Errorf("depth read %d times after start and a tick, want at least 2", got)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "wasla_intake_queue_depth 0") {
		t.Errorf("depth gauge missing:\n%s", grep(string(body), "depth"))
	}
}
