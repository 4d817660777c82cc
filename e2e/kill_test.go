package e2e

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/internal/redistest"
)

// killCycles is how often TestServeSIGKILLLosesNoReply kills wasla; WASLA_KILLS overrides
// (the timer run kills half as often).
const killCycles = 50

// wasla serve is killed with SIGKILL at random moments under a steady webhook load, again
// and again, against a real redis-server and the fake Graph API; a last process drains
// what is left. Every message the webhook answered 200 gets its reply, exactly once unless
// a process died in the middle of sending it, which the next sender counts as an attempt
// of unknown outcome. The same holds for replies a timer sends: in the second run every
// message is from a new contact, answered at once and again a second later by the flow's
// wait, whose timers fire across the kills.
func TestServeSIGKILLLosesNoReply(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the kill loop takes a while")
	}
	kills := envCount(t, "WASLA_KILLS", killCycles)
	for _, tc := range []struct {
		name, flows string
		prefixes    []string // of the replies each message gets
		kills       int
		fresh       bool          // a new contact for every message
		every       time.Duration // between two messages
		perKill     int           // messages acknowledged per kill at the least
		statuses    bool          // Meta's sent statuses reach the running process
	}{
		{"replies", "testdata/echo", []string{"echo "}, kills, false, 4 * time.Millisecond, 10, false},
		// Two replies per message, under the number's 80/s: a backlog behind the
		// throughput limit would make every kill cut off dozens of attempts waiting for
		// a send slot, counted unknown though they never reached Meta.
		{"timer replies", "testdata/later", []string{"got ", "later "}, max(kills/2, 1), true, 30 * time.Millisecond, 4, false},
		// Meta's sent status of each accepted reply reaches whichever process runs (posted
		// again until one answers 200, as Meta does): a reply cut off after Meta accepted
		// it is settled by its status, not sent again.
		{"replies, with Meta's statuses", "testdata/echo", []string{"echo "}, max(kills/2, 1), false, 4 * time.Millisecond, 10, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := redistest.Start(t)
			if rs == nil {
				return
			}
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d (the kill moments and the load)", seed)
			rng := rand.New(rand.NewPCG(seed, seed>>1))

			g := newFakeGraph(t, graphTokens)
			// Meta answers a send a moment after accepting it: kills land in that moment
			// too, and the replies they cut off go twice — which the status webhooks must
			// find.
			g.answerDelay = 40 * time.Millisecond
			cfg := writeConfigWith(t, rs.URL(), g.URL(), tc.flows)
			load := newLoad(t, rng, "Kill", "966500000101")
			load.fresh, load.every = tc.fresh, tc.every
			var running atomic.Pointer[proc]
			var meta sync.WaitGroup
			if tc.statuses {
				status := sentStatusOf(t)
				g.accepted = func(s sent) { meta.Go(func() { postStatus(t, &running, status(s)) }) }
			}
			var procs []*proc
			for cycle := 0; cycle <= tc.kills; cycle++ {
				p := serve(t, cfg)
				procs = append(procs, p)
				running.Store(p)
				// A steady load for a random time before the kill.
				d := time.Duration(50+rng.IntN(450)) * time.Millisecond
				if cycle == tc.kills {
					d = 200 * time.Millisecond // the last process keeps running and drains
				}
				load.post(d, p)
				if cycle < tc.kills {
					p.signal(syscall.SIGKILL)
					<-p.done
				}
			}
			meta.Wait()
			extra := checkReplies(t, g, rs, procs, true, tc.prefixes, load.acked, fmt.Sprintf("%d kills, %d messages posted", tc.kills, load.n))
			if tc.statuses {
				settled := 0
				for _, p := range procs {
					for _, m := range p.logLines() {
						if msg, _ := m["msg"].(string); strings.HasPrefix(msg, "a reply whose attempt was cut off is settled") {
							settled++
						}
					}
				}
				t.Logf("%d replies cut off after Meta accepted them were settled by Meta's status instead of sent again; %d sent twice", settled, extra)
				if extra > 0 {
					t.Errorf("%d replies sent twice though Meta's status of the first copy reached wasla", extra)
				}
			}
			if tc.kills >= 10 && len(load.acked) < tc.perKill*tc.kills {
				t.Errorf("only %d messages acknowledged over %d kills: the load was not steady", len(load.acked), tc.kills)
			}
		})
	}
}

// redis-server is killed with SIGKILL under a steady webhook load, again and again, and
// restarted from its append-only file (appendfsync always) after a random outage — one of
// them longer than the outbox lease — while wasla serve keeps running: webhooks that arrive
// during an outage are answered 500 (Meta delivers them again), and every message answered
// 200 gets its reply exactly once. No sender dies, so none may send a reply twice: one cut
// off from Redis with Meta's answer in hand, even for longer than its lease, records the
// answer when Redis returns, and another replica gives it the time to.
//
// With one replica Redis flaps (up for 0.1–0.5 s between outages); with two it stays up
// 2–3 s after each restart, time for both to reconnect (go-redis probes a refused server
// once a second). While one replica reaches Redis and the other does not for longer than
// the lease and the grace, the first cannot tell the other from a dead one and takes its
// replies over: that case is an attempt of unknown outcome (docs/redis.md).
func TestServeSurvivesRedisRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the restart loop takes a while")
	}
	restarts := envCount(t, "WASLA_RESTARTS", 8)
	for _, tc := range []struct {
		name     string
		replicas int
		restarts int
		up       [2]time.Duration // how long Redis stays up between outages: from, to
		every    time.Duration    // between two posts
	}{
		{"one replica, Redis flapping", 1, restarts, [2]time.Duration{100 * time.Millisecond, 500 * time.Millisecond}, 4 * time.Millisecond},
		// A slower load: the fake number's throughput would otherwise make the check wait
		// for a backlog of thousands.
		{"two replicas", 2, max(restarts*5/8, 1), [2]time.Duration{2 * time.Second, 3 * time.Second}, 15 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := redistest.Start(t, redistest.AppendOnly())
			if rs == nil {
				return
			}
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d (the outage moments and the load)", seed)
			rng := rand.New(rand.NewPCG(seed, seed>>1))
			between := func(r [2]time.Duration) time.Duration { return r[0] + time.Duration(rng.Int64N(int64(r[1]-r[0]+1))) }

			g := newFakeGraph(t, graphTokens)
			cfg := writeConfigWith(t, rs.URL(), g.URL(), "testdata/echo")
			load := newLoad(t, rng, "Restart", "966500000201")
			load.every = tc.every
			var ps []*proc
			for range tc.replicas {
				ps = append(ps, serve(t, cfg))
			}
			for i := range tc.restarts {
				load.post(between(tc.up), ps...)
				rs.Kill(t)
				outage := between([2]time.Duration{100 * time.Millisecond, time.Second})
				if i == tc.restarts/2 {
					outage = 6 * time.Second // longer than the outbox lease (5s)
				}
				load.post(outage, ps...)
				rs.Restart(t)
			}
			load.post(300*time.Millisecond, ps...)
			checkReplies(t, g, rs, ps, false, []string{"echo "}, load.acked, fmt.Sprintf("%d Redis restarts (one of 6s), replicas: %d, %d messages posted, %d refused while Redis was down",
				tc.restarts, tc.replicas, load.n, load.refused))
			if load.refused == 0 || len(load.acked) < 10*tc.restarts {
				t.Errorf("%d acknowledged and %d refused over %d outages: the load did not meet the outages", len(load.acked), load.refused, tc.restarts)
			}
		})
	}
}

// envCount returns the count the environment variable name sets, def when it is unset.
func envCount(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a count of at least 1", name, v)
	}
	return n
}

// steadyLoad posts one text webhook every 4 ms (every) from eight contacts, each text unique, and
// keeps the texts answered 200 (acked: text -> the contact that wrote it).
type steadyLoad struct {
	t          *testing.T
	rng        *rand.Rand
	client     *http.Client
	name       string
	contacts   []string
	acked      map[string]string
	n, refused int
	every      time.Duration // between two posts; 0 is 4 ms
	fresh      bool          // each message from a new contact, not one of eight
	base       int           // the first contact's number
}

// newLoad makes a load from eight contacts numbered from first, writing as name.
func newLoad(t *testing.T, rng *rand.Rand, name, first string) *steadyLoad {
	base, err := strconv.Atoi(first)
	if err != nil {
		t.Fatal(err)
	}
	l := &steadyLoad{t: t, rng: rng, client: &http.Client{Timeout: 5 * time.Second}, name: name, acked: map[string]string{}, base: base}
	for i := range 8 {
		l.contacts = append(l.contacts, strconv.Itoa(base+i))
	}
	return l
}

// post sends the load for d, each message to the next of ps in turn.
func (l *steadyLoad) post(d time.Duration, ps ...*proc) {
	tick := time.NewTicker(cmp.Or(l.every, 4*time.Millisecond))
	defer tick.Stop()
	for end := time.After(d); ; {
		select {
		case <-end:
			return
		case <-tick.C:
		}
		l.n++
		text := fmt.Sprintf("%s%05d", strings.ToLower(l.name[:1]), l.n)
		from := l.contacts[l.rng.IntN(len(l.contacts))]
		if l.fresh {
			from = strconv.Itoa(l.base + l.n)
		}
		body := textWebhook(l.t, inbound{number: inboxID, display: inboxDisplay, from: from,
			name: l.name, id: fmt.Sprintf("wamid.%s%05d", strings.ToUpper(l.name), l.n), text: text})
		if postQuietly(l.client, ps[l.n%len(ps)], body) == http.StatusOK {
			l.acked[text] = from
		} else {
			l.refused++
		}
	}
}

// expectedReply reports whether s is one of the replies every acknowledged message gets
// (acked: text -> contact; a reply is a prefix and the message's text, to its contact).
func expectedReply(s sent, prefixes []string, acked map[string]string) bool {
	for _, prefix := range prefixes {
		if text, ok := strings.CutPrefix(s.Text, prefix); ok && acked[text] == strings.TrimPrefix(s.To, "+") {
			return true
		}
	}
	return false
}

// checkReplies waits for the replies to every acknowledged message (acked: text ->
// contact; one reply per prefix) at the fake Graph API, then fails the test for a reply
// never sent, for a copy sent twice that no attempt of unknown outcome explains — any copy
// sent twice when no process crashed — and for a reply whose delivery state in the
// exported history is not sent with a wamid. what opens the log line of the counts.
func checkReplies(t *testing.T, g *fakeGraph, rs *redistest.Server, procs []*proc, crashes bool, prefixes []string, acked map[string]string, what string) (extra int) {
	t.Helper()
	last := procs[len(procs)-1]
	want := len(acked) * len(prefixes)

	// Every reply is sent, by one of the processes or the last one.
	replies := func() map[string]int {
		got := map[string]int{}
		for _, s := range g.Sent(func(s sent) bool { return s.Type == "text" && expectedReply(s, prefixes, acked) }) {
			got[s.Text]++
		}
		return got
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if len(replies()) == want {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-last.done:
			t.Fatalf("the last wasla exited: %v", last.err)
		case <-time.After(50 * time.Millisecond): // polling the fake Graph API
		}
	}
	got := replies()
	var lost []string
	sentOnce, duplicated := 0, 0
	for text := range acked {
		for _, prefix := range prefixes {
			switch c := got[prefix+text]; {
			case c == 0:
				lost = append(lost, prefix+text)
			case c == 1:
				sentOnce++
			default:
				duplicated++
				extra += c - 1
			}
		}
	}
	unknown := 0
	for _, p := range procs {
		for _, m := range p.logLines() {
			if msg, _ := m["msg"].(string); strings.HasPrefix(msg, "sending a reply whose earlier attempt was cut off") {
				unknown++
			}
		}
	}
	t.Logf("%s, %d acknowledged, %d replies due: %d sent once, %d sent more than once (%d extra copies), %d lost; %d attempts of unknown outcome",
		what, len(acked), want, sentOnce, duplicated, extra, len(lost), unknown)
	if len(lost) > 0 {
		t.Errorf("%d replies to acknowledged messages never sent, e.g. %v", len(lost), lost[:min(len(lost), 10)])
	}
	if !crashes && extra > 0 {
		t.Errorf("%d extra copies sent though no wasla process crashed", extra)
	} else if extra > unknown {
		t.Errorf("%d extra copies sent but only %d attempts of unknown outcome: a reply went twice without a crash in the middle of its sending", extra, unknown)
	}

	// The history tells the truth through the kills: every reply is sent, with Meta's
	// wamid, none left queued or failed.
	var states map[string]int
	for deadline := time.Now().Add(30 * time.Second); ; {
		states = replyStates(t, rs.URL())
		if states["sent"] >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling the export
	}
	t.Logf("delivery states in the history: %v", states)
	if states["sent"] < want || states["queued"] > 0 || states["failed"] > 0 || states["none"] > 0 || states["no wamid"] > 0 {
		t.Errorf("delivery states %v, want every one of %d replies sent with a wamid", states, want)
	}
	reconcile(t, g, last, prefixes, acked, extra)
	return extra
}

// sentStatusOf returns the maker of Meta's sent status webhook of a message the fake
// Graph API accepted, with the callback data it was sent with; the maker is safe to call
// from any goroutine.
func sentStatusOf(t *testing.T) func(sent) []byte {
	t.Helper()
	pattern := string(statusesWebhook(t, inboxID, inboxDisplay, []statusOf{{recipient: "RECIPIENT0", wamid: "WAMID0", status: "sent", callback: "CALLBACK0"}}, time.Now()))
	return func(s sent) []byte {
		callback, _ := s.Body["biz_opaque_callback_data"].(string)
		return []byte(strings.NewReplacer("RECIPIENT0", strings.TrimPrefix(s.To, "+"), "WAMID0", s.ID, "CALLBACK0", callback).Replace(pattern))
	}
}

// postStatus posts a status webhook to the process running, a moment after the fake
// accepted the message, and again until one answers 200 (the process may have been
// killed meanwhile), for up to 20 s.
func postStatus(t *testing.T, running *atomic.Pointer[proc], body []byte) {
	client := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		<-time.After(100 * time.Millisecond) // Meta's status comes a moment after it accepted the message
		if postQuietly(client, running.Load(), body) == http.StatusOK {
			return
		}
	}
	t.Errorf("a status webhook found no process to take it: %s", body)
}

// reconcile posts to p a delivered status for every reply the fake Graph API accepted, as
// Meta would, each with the callback data its request carried. The status of a copy whose
// attempt's answer was lost with its process finds the reply by that callback data: the
// copies counted in wasla_outbox_duplicates_total must be the extra copies the fake Graph
// API saw, no more, no fewer.
func reconcile(t *testing.T, g *fakeGraph, p *proc, prefixes []string, acked map[string]string, extra int) {
	t.Helper()
	var sts []statusOf
	for _, s := range g.Sent(func(s sent) bool { return s.Type == "text" && expectedReply(s, prefixes, acked) }) {
		callback, _ := s.Body["biz_opaque_callback_data"].(string)
		if callback == "" {
			t.Fatalf("reply %q went without callback data: its status could not find it", s.Text)
		}
		sts = append(sts, statusOf{recipient: strings.TrimPrefix(s.To, "+"), wamid: s.ID, status: "delivered", callback: callback})
	}
	for batch := range slices.Chunk(sts, 250) {
		if code := p.post(statusesWebhook(t, inboxID, inboxDisplay, batch, time.Now())); code != http.StatusOK {
			t.Fatalf("posting %d statuses = %d", len(batch), code)
		}
	}
	series := func(result string) float64 {
		return max(p.metric(`wasla_delivery_states_total{result="`+result+`",state="delivered"}`), 0)
	}
	for deadline := time.Now().Add(30 * time.Second); series("applied")+series("copy")+series("stale") < float64(len(sts)); {
		if time.Now().After(deadline) {
			t.Fatalf("%v of %d delivered statuses applied", series("applied")+series("copy")+series("stale"), len(sts))
		}
		time.Sleep(50 * time.Millisecond) // polling the metrics
	}
	dups := max(p.metric(`wasla_outbox_duplicates_total{number="`+inboxID+`"}`), 0)
	t.Logf("status webhooks for the %d replies Meta accepted: %v copies found by their callback data (the fake Graph API saw %d extra copies)", len(sts), dups, extra)
	if int(dups) != extra {
		t.Errorf("status webhooks found %v copies sent twice; the fake Graph API saw %d", dups, extra)
	}
}

// replyStates counts the delivery states of the replies in the exported history.
func replyStates(t *testing.T, redisURL string) map[string]int {
	t.Helper()
	out, err := exec.Command(waslaBin, "history", "export", "--redis", redisURL).Output()
	if err != nil {
		t.Fatalf("history export: %v", err)
	}
	states := map[string]int{}
	for line := range strings.Lines(string(out)) {
		var ev struct {
			Kind     string `json:"kind"`
			Delivery *struct {
				State string `json:"state"`
				Wamid string `json:"wamid"`
			} `json:"delivery"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("history export line %q: %v", line, err)
		}
		switch {
		case ev.Kind != "outbound":
		case ev.Delivery == nil:
			states["none"]++
		case ev.Delivery.State == "sent" && ev.Delivery.Wamid == "":
			states["no wamid"]++
		default:
			states[ev.Delivery.State]++
		}
	}
	return states
}

// writeConfigWith is writeConfig with the flows of folder flows.
func writeConfigWith(t *testing.T, redisURL, graphURL, flows string) string {
	t.Helper()
	path := writeConfig(t, redisURL, graphURL)
	dir := filepath.Join(filepath.Dir(path), "flows")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, os.DirFS(flows)); err != nil {
		t.Fatal(err)
	}
	return path
}

// postQuietly posts a signed webhook and returns the status, 0 when the request failed
// (the process died under it).
func postQuietly(c *http.Client, p *proc, body []byte) int {
	req, err := http.NewRequest(http.MethodPost, p.url("/webhook"), bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(whatsapp.SignatureHeader, whatsapp.Sign(appSecret, body))
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
