package store

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
)

// DefaultSendLease is the outbox lease when Options.SendLease is 0.
const DefaultSendLease = 5 * time.Second

// outqPerBucket bounds how many contacts one scan takes from each bucket's outbox index.
const outqPerBucket = 64

// A sender cut off from Redis tries again every recordWaitMax at most: to record an
// answer (recordDone) and to extend or take back its lease (Outbox.heartbeat).
const recordWaitMax = 500 * time.Millisecond

// claimGrace is how long after a claim first finds an entry whose last attempt is
// unanswered another sender waits before taking it over (send_claim.lua): long enough for
// a sender that is alive, and was only cut off from Redis, to record its answer or take its
// lease back once Redis returns, so that it is not sent twice.
const claimGrace = 3 * time.Second

// sendClaimScript takes a due contact's outbox lease and returns its first entry.
//
//go:embed send_claim.lua
var sendClaimSource string
var sendClaimScript = redis.NewScript(sendClaimSource)

// sendDoneScript ends an attempt at the first entry and returns the next one.
//
//go:embed send_done.lua
var sendDoneSource string
var sendDoneScript = redis.NewScript(sendDoneSource)

// sendReleaseScript gives an outbox lease back without attempting its entry.
//
//go:embed send_release.lua
var sendReleaseSource string
var sendReleaseScript = redis.NewScript(sendReleaseSource)

// sendExtendScript extends an outbox lease, or takes it back after an outage.
//
//go:embed send_extend.lua
var sendExtendSource string
var sendExtendScript = redis.NewScript(sendExtendSource)

// Delivery is one message of a contact's outbox, handed to a Deliver function.
type Delivery struct {
	Contact chat.ContactID
	// Entry is the id of the history entry of the outbound event the message belongs to.
	Entry   string
	Message chat.Outbound
	// Queued is when the commit that stored the message ran.
	Queued time.Time
	// Attempt counts the attempts at this message, this one included: 1 the first time.
	Attempt int
	// Unknown counts earlier attempts whose outcome nobody recorded: the process making
	// them died (or lost its lease) between starting the attempt and recording its answer,
	// so the message may have reached Meta already and this attempt may send it twice.
	Unknown int
}

// Outcome is what became of a Delivery.
type Outcome struct {
	// RetryAt, when set, keeps the message first in the outbox, to be tried again at that
	// time; the contact's later messages wait behind it. Zero means the message is done
	// with: sent, or failed for good (the Deliver function records the failure).
	RetryAt time.Time
	// Wamid is the id Meta gave a sent message; the message's delivery state becomes
	// sent with it, in the round trip that takes the message off the outbox.
	Wamid string
	// Failed, when set, is a message given up: its delivery state becomes failed with
	// this code, class and title, and it is listed among the failed messages
	// (Redis.FailedMessages) for an operator to retry or drop.
	Failed *Failure
}

// Failure says why a message was given up.
type Failure struct {
	Code  int    // Meta's error code, 0 when the failure is not Meta's answer
	Class string // whatsapp.Class as text
	Title string // Meta's title, or our reason
}

// record is the delivery state record the outcome of d leaves, "" for a retry.
func (out Outcome) record(d Delivery, now time.Time) string {
	switch {
	case !out.RetryAt.IsZero():
		return ""
	case out.Failed != nil:
		return stateRecord(chat.Delivery{State: chat.StateFailed, Number: d.Message.From, At: now.UTC(),
			ErrorCode: out.Failed.Code, ErrorClass: out.Failed.Class, ErrorTitle: out.Failed.Title})
	}
	return stateRecord(chat.Delivery{State: chat.StateSent, Wamid: out.Wamid, Number: d.Message.From, At: now.UTC()})
}

// Deliver sends one message and says what became of it. It must be safe for concurrent
// use; messages of different contacts are delivered in parallel, those of one contact one
// at a time, in order. ctx is cancelled when the outbox lease is lost.
type Deliver func(ctx context.Context, d Delivery) Outcome

// outboxLink ties a store that queues replies to the Outbox senders running in the same
// process, so that a commit can hand its replies to them without a scan.
type outboxLink struct {
	lease   time.Duration
	running atomic.Int32   // Outbox.Run calls running in this process
	claims  chan sendClaim // outboxes a commit took the lease of
}

func newOutboxLink(lease time.Duration) *outboxLink {
	return &outboxLink{lease: lease, claims: make(chan sendClaim, 1024)}
}

// sendClaim is a contact's outbox held with token, and its first entry, whose attempts
// before this one are started and answered. A claim found by a scan has no token yet.
type sendClaim struct {
	contact           chat.ContactID
	token             string
	head              string
	started, answered int64
}

// grabToken returns the token with which a commit takes the outbox lease of the replies it
// queues, and the lease in ms; "" when no sender runs here to send them.
func (l *outboxLink) grabToken() (string, int64) {
	if l == nil || l.running.Load() == 0 {
		return "", 1
	}
	return newToken(), max(l.lease.Milliseconds(), 1)
}

// entry returns the message to queue for a history event, as the outbox stores it: the
// chat.Outbound JSON of an outbound or agent event, "" for anything else or when the
// store queues nothing.
func (l *outboxLink) entry(ev chat.Event) (string, error) {
	if l == nil || ev.Outbound == nil || (ev.Kind != chat.EventOutbound && ev.Kind != chat.EventAgent) {
		return "", nil
	}
	b, err := json.Marshal(ev.Outbound)
	return string(b), err
}

// handOff gives a claim a commit took to this process's senders. When they are too busy
// to take it, the lease runs out and a scan finds the contact.
func (l *outboxLink) handOff(c sendClaim) bool {
	if l == nil {
		return false
	}
	select {
	case l.claims <- c:
		return true
	default:
		return false
	}
}

// Outbox sends what commits queued in the contacts' outboxes (Options.Outbox): each
// contact's messages in commit order, one at a time, under a lease with a fencing token
// (Options.SendLease) so that across every replica one sender sends a message; contacts
// in parallel. A message leaves the outbox only when its Deliver function returned, so a
// sender that dies leaves it to another, which is told in Delivery.Unknown that it may have
// gone out already. It is safe for concurrent use.
type Outbox struct {
	r     *Redis
	link  *outboxLink
	lease time.Duration
	poll  time.Duration
	log   *slog.Logger
	// sleep waits between attempts at recording an answer (clock.Sleep; tests replace it).
	sleep func(context.Context, time.Duration) error
}

// NewOutbox returns the sender of r's outboxes; r must have been made with Options.Outbox.
// poll is how often it scans the outbox index for contacts left by others (0: 500ms).
func NewOutbox(r *Redis, poll time.Duration) (*Outbox, error) {
	if r == nil || r.out == nil {
		return nil, errors.New("store: outbox: the store does not queue replies (Options.Outbox)")
	}
	if poll < 0 {
		return nil, errors.New("store: outbox: negative poll interval")
	}
	if r.out.lease < 3*time.Millisecond {
		return nil, fmt.Errorf("store: outbox: send lease %v is too short", r.out.lease)
	}
	return &Outbox{r: r, link: r.out, lease: r.out.lease, poll: cmp.Or(poll, DefaultPoll), log: r.log, sleep: clock.Sleep}, nil
}

// Run sends queued messages with deliver, with at most workers contacts at once, until ctx
// is done. It finds contacts through the commits of this process, which hand their
// replies over at once, and by scanning the outbox index every poll interval for the rest:
// replies of a replica that died, retries that fell due. On return every lease it held is
// given back; a message being delivered is finished first. Redis errors are logged and
// retried, never returned.
func (o *Outbox) Run(ctx context.Context, workers int, deliver Deliver) error {
	if deliver == nil {
		return errors.New("store: outbox: nil deliver function")
	}
	o.link.running.Add(1)
	defer o.link.running.Add(-1)
	workers = max(workers, 1)
	jobs := make(chan sendClaim)
	b := &busy{m: map[chat.ContactID]bool{}}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range jobs {
				o.work(ctx, c, b, deliver)
			}
		})
	}
	o.dispatch(ctx, jobs, b)
	wg.Wait()
	// Claims handed over while stopping: give their leases back for another sender.
	for {
		select {
		case c := <-o.link.claims:
			o.release(ctx, c)
		default:
			return nil
		}
	}
}

// dispatch feeds claims to the workers until ctx is done, then closes jobs.
func (o *Outbox) dispatch(ctx context.Context, jobs chan<- sendClaim, b *busy) {
	defer close(jobs)
	tick := time.NewTicker(o.poll)
	defer tick.Stop()
	var queue []sendClaim
	queued := map[chat.ContactID]bool{}
	scan := true
	for {
		if scan {
			scan = false
			ids, err := o.dueContacts(ctx)
			if err != nil && ctx.Err() == nil {
				o.log.Warn("store: outbox: scanning the outbox index", slog.Any("err", err))
			}
			for _, id := range ids {
				if !queued[id] && !b.held(id) {
					queued[id] = true
					queue = append(queue, sendClaim{contact: id})
				}
			}
		}
		var out chan<- sendClaim
		var head sendClaim
		if len(queue) > 0 {
			out, head = jobs, queue[0]
		}
		select {
		case <-ctx.Done():
			for _, c := range queue {
				if c.token != "" {
					o.release(ctx, c)
				}
			}
			return
		case c := <-o.link.claims:
			// A claim holds the lease: it goes first, and a scanned entry of the contact
			// is redundant.
			queue = slices.DeleteFunc(queue, func(q sendClaim) bool { return q.contact == c.contact && q.token == "" })
			queued[c.contact] = true
			queue = append([]sendClaim{c}, queue...)
		case <-tick.C:
			scan = true
		case out <- head:
			queue = queue[1:]
			delete(queued, head.contact)
		}
	}
}

// dueContacts reads every bucket's outbox index in one pipeline and returns the contacts
// due now, longest waiting first.
func (o *Outbox) dueContacts(ctx context.Context) ([]chat.ContactID, error) {
	upTo := strconv.FormatInt(o.r.clock.Now().UnixMilli(), 10)
	return scanBuckets(ctx, o.r.client, func(p redis.Pipeliner, b int) *redis.ZSliceCmd {
		return p.ZRangeByScoreWithScores(ctx, o.r.bucketKey(b, "outq"), &redis.ZRangeBy{
			Min: "-inf", Max: upTo, Count: outqPerBucket,
		})
	})
}

// held reports whether a worker of this process holds the contact.
func (b *busy) held(id chat.ContactID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[id]
	return ok
}

// work sends a contact's outbox, from the claim c (claiming it first when c comes from a
// scan), until it is empty, a message is to be retried later or the lease is lost.
func (o *Outbox) work(ctx context.Context, c sendClaim, b *busy, deliver Deliver) {
	if !b.add(c.contact) {
		if c.token != "" {
			// A worker here still holds the contact: its last acknowledgement released the
			// lease a moment ago and a commit took it since. It is woken when it lets go,
			// and claims anew; without the wake the reply would wait for a scan.
			o.release(ctx, c)
			if !b.wakeIfHeld(c.contact) {
				o.link.handOff(sendClaim{contact: c.contact})
			}
		}
		return
	}
	defer func() {
		if b.remove(c.contact) {
			o.link.handOff(sendClaim{contact: c.contact}) // claimed afresh by a worker
		}
	}()
	k := o.r.keysOf(c.contact)
	for c.token == "" {
		if ctx.Err() != nil {
			return
		}
		c.token = newToken()
		res, err := sendClaimScript.Run(ctx, o.r.client, []string{k.olease, k.outbox, k.outq, k.ostate, o.r.deliveryKey(c.contact)},
			c.token, o.lease.Milliseconds(), string(c.contact), o.r.clock.Now().UnixMilli(),
			claimGrace.Milliseconds(), max(claimGrace, 3*o.poll).Milliseconds()).Slice()
		if err != nil {
			if !errors.Is(err, redis.Nil) && ctx.Err() == nil {
				o.log.Warn("store: outbox: claiming a contact", slog.String("contact", c.contact.Redacted()), slog.Any("err", err))
			}
			return
		}
		c.head, _ = stringAt(res, 0)
		if c.head == "" {
			// Meta's status settled the first entry instead: claim what follows it.
			entry, _ := stringAt(res, 1)
			attempt, _ := intAt(res, 2)
			o.log.Info("a reply whose attempt was cut off is settled by Meta's status: it is not sent again",
				slog.String("contact", c.contact.Redacted()), slog.String("entry", entry), slog.Int64("attempt", attempt))
			c.token = ""
			continue
		}
		c.started, _ = intAt(res, 1)
		c.answered, _ = intAt(res, 2)
	}
	// Deliveries run to their end when Run is stopped (an interrupted request is a reply of
	// unknown fate); only a lost lease cancels them.
	hctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	var hb sync.WaitGroup
	var at attemptAt
	hb.Go(func() { o.heartbeat(hctx, cancel, k, c.token, &at) })
	defer func() {
		cancel(nil)
		hb.Wait()
	}()
	for {
		if ctx.Err() != nil {
			o.release(ctx, c)
			return
		}
		d, err := parseEntry(c)
		at.set(d.Entry, d.Attempt)
		var out Outcome
		if err != nil {
			o.log.Error("store: outbox: undecodable entry listed as failed", slog.String("contact", c.contact.Redacted()), slog.Any("err", err))
			out.Failed = &Failure{Class: "undecodable", Title: err.Error()}
		} else {
			out = deliver(hctx, d)
		}
		retryAt := ""
		if !out.RetryAt.IsZero() {
			retryAt = strconv.FormatInt(out.RetryAt.UnixMilli(), 10)
		}
		now := o.r.clock.Now()
		res, err := o.recordDone(ctx, func(sctx context.Context) ([]any, error) {
			return sendDoneScript.Run(sctx, o.r.client,
				[]string{k.olease, k.outbox, k.outq, k.ostate, o.r.deliveryKey(c.contact), o.r.failedKey(bucket(c.contact))},
				c.token, d.Entry, retryAt, o.lease.Milliseconds(), string(c.contact),
				out.record(d, now), wamidField(out.Wamid), now.UnixMilli(), o.r.keepArg(), d.Attempt).Slice()
		})
		at.set("", 0)
		if err != nil {
			// Only when stopping with Redis away: the entry stays first, and the next
			// sender, after its grace, tries it again, told that this attempt's outcome
			// is unknown.
			o.log.Warn("store: outbox: recording a delivery", slog.String("contact", c.contact.Redacted()), slog.Any("err", err))
			return
		}
		switch status, _ := intAt(res, 0); status {
		case 1:
			c.head, _ = stringAt(res, 1)
			c.started, _ = intAt(res, 2)
			c.answered, _ = intAt(res, 3)
		case 0:
			o.log.Warn("store: outbox: another sender took the message over before its answer was recorded: it may reach the customer twice",
				slog.String("contact", c.contact.Redacted()), slog.String("entry", d.Entry), slog.Int("attempt", d.Attempt))
			return
		default:
			return
		}
	}
}

// recordDone runs the script that records an attempt's answer, again and again while Redis
// does not take it (a restart, a failover, a dropped connection): Meta may have the
// message, and giving up here would leave it first for another sender to send a second
// time. The script is fenced by the attempt, so the answer still lands after the lease ran
// out as long as nobody took the entry over — which nobody does within claimGrace of
// finding it unanswered — and a run whose answer was lost and is run again changes
// nothing twice. Once ctx is done (the sender stopping), it tries for settleTimeout more.
func (o *Outbox) recordDone(ctx context.Context, run func(context.Context) ([]any, error)) ([]any, error) {
	wait := 50 * time.Millisecond
	var stopping time.Time
	for {
		sctx, done := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		res, err := run(sctx)
		done()
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			if stopping.IsZero() {
				stopping = time.Now()
			}
			if time.Since(stopping)+wait > settleTimeout {
				return nil, err
			}
		}
		_ = o.sleep(context.WithoutCancel(ctx), wait)
		wait = min(2*wait, recordWaitMax)
	}
}

// attemptAt is the attempt a worker is making, for its heartbeat to take the lease back
// with after an outage: the entry and the attempt's number, "" and 0 between attempts.
type attemptAt struct {
	mu    sync.Mutex
	entry string
	n     int
}

func (a *attemptAt) set(entry string, n int) {
	a.mu.Lock()
	a.entry, a.n = entry, n
	a.mu.Unlock()
}

func (a *attemptAt) get() (string, string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == 0 {
		return a.entry, ""
	}
	return a.entry, strconv.Itoa(a.n)
}

// heartbeat extends the outbox lease every third of it, and sooner after a failure, until
// ctx is done; when the lease is lost to another sender it cancels the delivery. A lease
// that ran out while Redis was away is taken back when the attempt at is still unanswered
// and nobody took the entry over (send_extend.lua).
func (o *Outbox) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, k keys, token string, at *attemptAt) {
	var retry time.Duration
	for {
		wait := o.lease / 3
		if retry > 0 {
			wait = min(retry, wait)
		}
		if clock.Sleep(ctx, wait) != nil {
			return
		}
		entry, attempt := at.get()
		held, err := sendExtendScript.Run(ctx, o.r.client, []string{k.olease, k.ostate}, token, o.lease.Milliseconds(), entry, attempt).Int64()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			o.log.Warn("store: outbox: extending a lease", slog.Any("err", err))
			retry = min(max(2*retry, 50*time.Millisecond), recordWaitMax)
		case held == 0:
			cancel(errLeaseLost)
			return
		case held == 2:
			o.log.Info("store: outbox: lease taken back after Redis was away longer than it", slog.String("entry", entry))
			retry = 0
		default:
			retry = 0
		}
	}
}

// release gives c's lease back without attempting its entry.
func (o *Outbox) release(ctx context.Context, c sendClaim) {
	if c.token == "" {
		return
	}
	entry, _, _ := strings.Cut(c.head, " ")
	k := o.r.keysOf(c.contact)
	sctx, done := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer done()
	err := sendReleaseScript.Run(sctx, o.r.client, []string{k.olease, k.outbox, k.outq, k.ostate},
		c.token, entry, string(c.contact), o.r.clock.Now().UnixMilli()).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		o.log.Warn("store: outbox: giving a lease back", slog.String("contact", c.contact.Redacted()), slog.Any("err", err))
	}
}

// parseEntry decodes c's first outbox entry, "<entry id> <queued ms> <message JSON>".
// The Delivery's Entry is set even when the rest does not decode, so it can be dropped.
func parseEntry(c sendClaim) (Delivery, error) {
	d := Delivery{Contact: c.contact, Attempt: int(c.started) + 1, Unknown: int(c.started - c.answered)}
	id, rest, ok := strings.Cut(c.head, " ")
	d.Entry = id
	ms, msg, ok2 := strings.Cut(rest, " ")
	if !ok || !ok2 {
		return d, fmt.Errorf("outbox entry %q: not <id> <time> <message>", id)
	}
	at, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return d, fmt.Errorf("outbox entry %s: bad time %q", id, ms)
	}
	d.Queued = time.UnixMilli(at)
	if err := json.Unmarshal([]byte(msg), &d.Message); err != nil {
		return d, fmt.Errorf("outbox entry %s: %w", id, err)
	}
	return d, nil
}
