package store

import (
	"cmp"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// Defaults of the intake options.
const (
	DefaultLease        = 5 * time.Second
	DefaultPoll         = 500 * time.Millisecond
	DefaultMaxAttempts  = 5
	DefaultRetryBackoff = 200 * time.Millisecond
	maxRetryBackoff     = 30 * time.Second
	// readyPerBucket bounds how many contacts one scan takes from each bucket's ready index.
	readyPerBucket = 64
	// settleTimeout bounds the acknowledgement and release that follow a cancelled Run.
	settleTimeout = 5 * time.Second
)

// Intake is the durable queue of inbound messages in front of the engine: Push stores
// messages in their contact's inbox, and Run hands them to a handler one contact at a time,
// in push order, across every replica that runs it over the same Redis.
//
// Exclusion per contact is a lease: a worker claims a contact with SET NX PX and a random
// token, drains the contact's inbox in order, extends the lease while it works and releases
// it when the inbox is empty. A replica that dies leaves its lease to expire (Options.Lease)
// and another worker takes the contact over. The handler gets the lease with the message, in
// a Tx over the contact, whose Commit refuses with ErrFenced once the lease is gone, so a
// worker that lost its lease cannot write over the one that took over. A message leaves the
// inbox when the Tx's Commit stores it (or is refused as its duplicate), or else after the
// handler returned nil; a handler that keeps failing before that moves
// it to the bucket's dead-letter list after Options.MaxAttempts attempts, with an Error log.
//
// Round trips: Push claims the contact for a waiting worker of its process (a hand-over),
// and a claim also reads the contact's state, which the Tx's Load then returns without a
// round trip; the Commit that stores a message also takes it out of the inbox and returns
// the next one, whose Load reuses the state just committed, and with an outbox releases the
// contact when the inbox is empty. A lone message thus costs the push and its commit; each
// further message of the contact its commit. Without an outbox the release after the last
// message costs one more, and a contact no worker here waited for its claim.
//
// An Intake is safe for concurrent use; Push and Run may run in the same process or in
// different ones. It never closes its client.
type Intake struct {
	r      *Redis
	err    error // an invalid option, reported by every method
	client redis.UniversalClient

	lease       time.Duration
	poll        time.Duration
	maxAttempts int
	backoff     time.Duration
	log         *slog.Logger

	// wake tells this process's Run about contacts pushed here, so that they need not wait
	// for the next scan of the ready index. It is a hint: when it is full, the scan finds
	// the contact.
	wake chan chat.ContactID

	// free counts Run's workers waiting for a contact, less the hand-overs Push reserved
	// and has not delivered yet: Push claims a contact for this process's workers only
	// when one is free to take it at once.
	free atomic.Int64
	// handed carries the contacts Push claimed to Run's workers.
	handed chan handOver
}

// handOver is a contact Push claimed for this process's workers: the lease's token and
// claim.lua's reply (first message, version, profile, session).
type handOver struct {
	id    chat.ContactID
	token string
	claim []any
}

// NewIntake returns an intake queue over client with the store's key layout (opts.Prefix
// must be the store's). It does no I/O; an invalid option is returned by every method.
func NewIntake(client redis.UniversalClient, opts Options) *Intake {
	r, err := New(client, opts)
	return newIntake(r, err, client, opts)
}

// NewIntakeOf returns an intake queue over r's client and key layout whose handlers'
// transactions commit through r: with Options.Outbox, the replies they queue go to the
// Outbox senders of r at once. opts gives the intake's own options.
func NewIntakeOf(r *Redis, opts Options) *Intake {
	if r == nil {
		return &Intake{err: errors.New("store: intake: nil store"), log: slog.New(slog.DiscardHandler)}
	}
	return newIntake(r, nil, r.client, opts)
}

func newIntake(r *Redis, err error, client redis.UniversalClient, opts Options) *Intake {
	q := &Intake{
		r:           r,
		err:         err,
		client:      client,
		lease:       cmp.Or(opts.Lease, DefaultLease),
		poll:        cmp.Or(opts.Poll, DefaultPoll),
		maxAttempts: cmp.Or(opts.MaxAttempts, DefaultMaxAttempts),
		backoff:     cmp.Or(opts.RetryBackoff, DefaultRetryBackoff),
		log:         opts.Logger,
		wake:        make(chan chat.ContactID, 1024),
		handed:      make(chan handOver, 1024),
	}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case q.err != nil:
	case q.lease < 3*time.Millisecond:
		q.err = fmt.Errorf("store: intake lease %v is too short", q.lease)
	case q.poll < 0 || q.maxAttempts < 0 || q.backoff < 0:
		q.err = errors.New("store: negative intake option")
	}
	return q
}

// pushScript appends messages to a contact's inbox, skipping those whose id was committed
// within the dedupe period, and marks the contact ready.
//
// Its keys, arguments and reply are described in push.lua.
//
//go:embed push.lua
var pushSource string
var pushScript = redis.NewScript(pushSource)

// Push stores msgs durably: when it returns nil, every message is in its contact's inbox
// (or was already committed within the dedupe period, and is skipped). Messages of one
// contact keep their order. It takes one pipelined round trip (on a cluster, one per
// master, in parallel) plus one on a server that has not cached the script yet. On an
// error some messages may be stored and others not; pushing them all again is safe, since
// Commit refuses the second copy of a message with contact.ErrDuplicate.
//
// While Run's workers in this process wait for work, the same script also claims a free
// contact for one of them and hands it over with the contact's state: the worker starts
// without a claim round trip of its own.
func (q *Intake) Push(ctx context.Context, msgs []chat.Inbound) error {
	if q.err != nil {
		return q.err
	}
	if len(msgs) == 0 {
		return nil
	}
	now := q.r.clock.Now()
	horizon := ""
	if q.r.dedupe > 0 {
		horizon = strconv.FormatInt(now.Add(-q.r.dedupe).UnixMilli(), 10)
	}
	var order []chat.ContactID
	args := map[chat.ContactID][]any{}
	// Boxed once for every contact of the call: each boxing costs an allocation.
	nowArg, horizonArg, leaseArg := any(now.UnixMilli()), any(horizon), any(q.lease.Milliseconds())
	for i, m := range msgs {
		if m.Contact == "" {
			return fmt.Errorf("store: push: message %d has no contact", i)
		}
		b, err := contact.AppendInbound(nil, &m)
		if err != nil {
			return fmt.Errorf("store: push: encoding message %d: %w", i, err)
		}
		a, ok := args[m.Contact]
		if !ok {
			order = append(order, m.Contact)
			a = make([]any, 5, 7) // a lone message fits
			a[0], a[1], a[2], a[3], a[4] = nowArg, horizonArg, string(m.Contact), "", leaseArg
		}
		args[m.Contact] = append(a, m.ID, b)
	}
	calls := make([]scriptCall, len(order))
	for i, id := range order {
		k := q.r.keysOf(id)
		a := args[id]
		if q.reserve() {
			a[3] = newToken()
		}
		keys := []string{k.inbox, k.ready, k.queued, k.seen, k.lease, k.contact, k.session}
		if a[3] == "" {
			keys = keys[:4] // the claim's keys only for a claim: each key costs an allocation
		}
		calls[i] = scriptCall{keys: keys, args: a}
	}
	cmds, err := runPipelined(ctx, q.client, pushScript, calls)
	for i, id := range order {
		token := calls[i].args[3].(string)
		if token != "" {
			var res []any
			if cmds[i] != nil {
				res, _ = cmds[i].Slice()
			}
			if len(res) == 5 { // claimed: the lease is this process's
				h := handOver{id: id, token: token, claim: res[1:]}
				select {
				case q.handed <- h: // the worker that takes it ends the reservation
					continue
				default: // cannot happen while reserve keeps the channel at most half full
					q.giveBack(ctx, h)
				}
			}
			q.free.Add(1) // nothing handed over: the reservation is given back
		}
		select {
		case q.wake <- id:
		default: // the scan finds it
		}
	}
	if err != nil {
		return fmt.Errorf("store: push: %w", err)
	}
	return nil
}

// reserve takes one of Run's waiting workers for a hand-over, if one is free. The handed
// channel never fills up: it holds at most as many hand-overs as there were free workers
// (and a worker takes them before any other work), far fewer than its capacity unless Run
// runs more than that many workers.
func (q *Intake) reserve() bool {
	for {
		n := q.free.Load()
		if n <= 0 || len(q.handed) >= cap(q.handed)/2 {
			return false
		}
		if q.free.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// scriptCall is one run of a script in a pipeline.
type scriptCall struct {
	keys []string
	args []any
}

// runPipelined runs calls of s in one pipeline with EVALSHA, then again with EVAL those
// that the server answered NOSCRIPT (nothing ran for them). It returns the commands and
// the first error of any.
func runPipelined(ctx context.Context, c redis.UniversalClient, s *redis.Script, calls []scriptCall) ([]*redis.Cmd, error) {
	cmds := make([]*redis.Cmd, len(calls))
	_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, call := range calls {
			cmds[i] = s.EvalSha(ctx, p, call.keys, call.args...)
		}
		return nil
	})
	var again []int
	for i, cmd := range cmds {
		if isNoScript(cmd.Err()) {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		_, _ = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range again {
				cmds[i] = s.Eval(ctx, p, calls[i].keys, calls[i].args...)
			}
			return nil
		})
	}
	for _, cmd := range cmds {
		if err := cmd.Err(); err != nil {
			return cmds, err
		}
	}
	return cmds, nil
}

func isNoScript(err error) bool {
	return err != nil && (errors.Is(err, redis.ErrNoScript) || redis.HasErrorPrefix(err, "NOSCRIPT"))
}

// Depth returns how many messages wait in the inboxes of all contacts, the one being handled
// included. It reads one counter per bucket in one pipeline.
func (q *Intake) Depth(ctx context.Context) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	cmds := make([]*redis.StringCmd, Buckets)
	_, err := q.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := range Buckets {
			cmds[b] = p.Get(ctx, q.r.bucketKey(b, "queued"))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, fmt.Errorf("store: reading intake depth: %w", err)
	}
	var n int64
	for _, c := range cmds {
		v, err := c.Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, fmt.Errorf("store: reading intake depth: %w", err)
		}
		n += v
	}
	return n, nil
}

// DeadLetter is a message the handler failed on Options.MaxAttempts times, kept in its
// bucket's dead-letter list for an operator.
type DeadLetter struct {
	Message  chat.Inbound `json:"message"`
	Raw      string       `json:"raw,omitempty"` // the stored message, when it could not be decoded
	Error    string       `json:"error"`
	Attempts int          `json:"attempts"`
	At       time.Time    `json:"at"`
}

// DeadLetters calls fn with every dead letter, bucket by bucket, oldest first in each
// bucket. fn's error stops the walk and is returned.
func (q *Intake) DeadLetters(ctx context.Context, fn func(DeadLetter) error) error {
	return q.ListDeadLetters(ctx, func(d ListedDeadLetter) error { return fn(d.DeadLetter) })
}

// Handler handles one queued message. It loads and commits the message's contact through
// tx, a transaction under the intake's lease; a Commit through tx that stores the message
// also takes it off the queue. ctx is cancelled when the lease is lost.
type Handler func(ctx context.Context, tx *Tx, msg chat.Inbound) error

// Run hands queued messages to handle until ctx is cancelled, with workers goroutines:
// messages of one contact one at a time in push order, different contacts in parallel. It
// finds contacts through the ready index (scanned every Options.Poll, and at once for
// contacts pushed through this Intake). handle gets the message with a Tx over its contact,
// under the contact's lease; a message is removed when its Tx commits it, or else when
// handle returns nil. An error is retried with exponential backoff
// from Options.RetryBackoff, and after Options.MaxAttempts attempts the message becomes a
// dead letter; an error wrapping ErrFenced means the lease is lost, and the message is left
// to its new holder. A panic in handle counts as an error.
//
// Run returns nil once ctx is cancelled and every worker has stopped; a message being
// handled then stays queued unless its handler finished. Redis errors are logged and
// retried, never returned.
func (q *Intake) Run(ctx context.Context, workers int, handle Handler) error {
	if q.err != nil {
		return q.err
	}
	if handle == nil {
		return errors.New("store: intake: nil handler")
	}
	workers = max(workers, 1)
	b := &busy{m: map[chat.ContactID]bool{}}
	cand := make(chan chat.ContactID)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				// A contact Push claimed for this process comes first: its lease runs.
				select {
				case h := <-q.handed:
					q.free.Add(1) // the reservation is used
					q.workHanded(ctx, h, b, handle)
					continue
				default:
				}
				q.free.Add(1) // waiting: Push may reserve this worker
				select {
				case h := <-q.handed: // reserved and delivered: free is even
					q.workHanded(ctx, h, b, handle)
				case id, ok := <-cand:
					q.free.Add(-1)
					if !ok {
						return
					}
					q.work(ctx, id, b, handle)
				}
			}
		})
	}
	q.dispatch(ctx, cand, b)
	wg.Wait()
	// Contacts Push claimed too late for a worker: give their leases back so that the
	// next holder need not wait for them to expire.
	for {
		select {
		case h := <-q.handed:
			q.giveBack(ctx, h)
		default:
			return nil
		}
	}
}

// giveBack releases a handed-over contact no worker of this process will serve; it stays
// ready, so a scan finds it.
func (q *Intake) giveBack(ctx context.Context, h handOver) {
	sctx, done := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer done()
	_ = releaseScript.Run(sctx, q.client, []string{q.r.keysOf(h.id).lease}, h.token).Err()
}

// busy is the set of contacts this process's workers hold. A contact woken while held is
// marked, and woken again when its worker lets it go: a push that landed just after the
// worker saw an empty inbox must not wait for the next scan.
type busy struct {
	mu sync.Mutex
	m  map[chat.ContactID]bool // contact -> woken while held
}

func (b *busy) add(id chat.ContactID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, held := b.m[id]; held {
		return false
	}
	b.m[id] = false
	return true
}

// wakeIfHeld marks a held contact as woken and reports whether it is held.
func (b *busy) wakeIfHeld(id chat.ContactID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, held := b.m[id]; held {
		b.m[id] = true
		return true
	}
	return false
}

// remove lets go of a contact and reports whether it was woken while held.
func (b *busy) remove(id chat.ContactID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	woken := b.m[id]
	delete(b.m, id)
	return woken
}

// dispatch feeds candidate contacts to the workers until ctx is done, then closes cand.
// Candidates come from the wake channel and from scans of the ready index; each is queued
// once, and not while a worker of this process holds it.
func (q *Intake) dispatch(ctx context.Context, cand chan<- chat.ContactID, b *busy) {
	defer close(cand)
	tick := time.NewTicker(q.poll)
	defer tick.Stop()
	var queue []chat.ContactID
	queued := map[chat.ContactID]bool{}
	add := func(id chat.ContactID) {
		if queued[id] || b.wakeIfHeld(id) {
			return
		}
		queued[id] = true
		queue = append(queue, id)
	}
	scan := true
	for {
		if scan {
			scan = false
			ids, err := q.readyContacts(ctx)
			if err != nil && ctx.Err() == nil {
				q.log.Warn("store: intake: scanning the ready index", slog.Any("err", err))
			}
			for _, id := range ids {
				add(id)
			}
		}
		var out chan<- chat.ContactID
		var head chat.ContactID
		if len(queue) > 0 {
			out, head = cand, queue[0]
		}
		select {
		case <-ctx.Done():
			return
		case id := <-q.wake:
			add(id)
		case <-tick.C:
			scan = true
		case out <- head:
			queue = queue[1:]
			delete(queued, head)
		}
	}
}

// readyContacts reads every bucket's ready index in one pipeline and returns the contacts
// with queued messages, longest waiting first.
func (q *Intake) readyContacts(ctx context.Context) ([]chat.ContactID, error) {
	return scanBuckets(ctx, q.client, func(p redis.Pipeliner, b int) *redis.ZSliceCmd {
		return p.ZRangeWithScores(ctx, q.r.bucketKey(b, "ready"), 0, readyPerBucket-1)
	})
}

// scanBuckets runs read on every bucket in one pipeline and returns the contacts of all
// the sorted sets read, lowest score (longest waiting) first: the scans of the intake's
// ready index and of the outbox's queue index.
func scanBuckets(ctx context.Context, c redis.UniversalClient, read func(p redis.Pipeliner, b int) *redis.ZSliceCmd) ([]chat.ContactID, error) {
	cmds := make([]*redis.ZSliceCmd, Buckets)
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for b := range Buckets {
			cmds[b] = read(p, b)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []redis.Z
	for _, c := range cmds {
		all = append(all, c.Val()...)
	}
	slices.SortFunc(all, func(a, b redis.Z) int { return cmp.Compare(a.Score, b.Score) })
	ids := make([]chat.ContactID, len(all))
	for i, z := range all {
		ids[i] = chat.ContactID(z.Member.(string))
	}
	return ids, nil
}

// claimScript takes a contact's lease and returns the first queued message with the
// contact's state, as Load would read it; when the inbox is empty it gives the lease back
// and takes the contact out of the ready index.
//
// Its keys, arguments and reply are described in claim.lua.
//
//go:embed claim.lua
var claimSource string
var claimScript = redis.NewScript(claimSource)

// doneScript ends the handling of a contact's first message and returns the next: when the
// lease is still held with the token and the first message is the one handled, it removes
// it (moving it to the dead-letter list when a record is given); then it extends the lease
// and returns the next message or, when the inbox is empty, releases the lease and takes the
// contact out of the ready index — atomically, so a message pushed meanwhile is either seen
// here or finds the contact free and ready. The worker needs it only when no commit
// acknowledged the message (a dead letter, a handler that does not commit it), and with an
// empty handled message to release the contact after a commit found the inbox empty.
//
// Its keys, arguments and reply are described in done.lua.
//
//go:embed done.lua
var doneSource string
var doneScript = redis.NewScript(doneSource)

// extendScript extends a lease that is still held with the token (extend.lua).
//
//go:embed extend.lua
var extendSource string
var extendScript = redis.NewScript(extendSource)

// releaseScript gives a lease back without touching the inbox; the contact stays in the
// ready index, so another worker takes it (release.lua).
//
//go:embed release.lua
var releaseSource string
var releaseScript = redis.NewScript(releaseSource)

// errLeaseLost cancels a handler whose lease could not be extended.
var errLeaseLost = errors.New("intake lease lost")

// work claims one contact and drains its inbox.
func (q *Intake) work(ctx context.Context, id chat.ContactID, b *busy, handle Handler) {
	if !b.add(id) {
		// Another worker here took the contact since it was queued (a hand-over): it is
		// woken when it lets go, so that a message it leaves does not wait for a scan.
		q.wakeLater(id, b)
		return
	}
	defer q.letGo(id, b)
	k := q.r.keysOf(id)
	token := newToken()
	res, err := claimScript.Run(ctx, q.client, []string{k.lease, k.inbox, k.ready, k.contact, k.session},
		token, q.lease.Milliseconds(), string(id)).Slice()
	if err != nil {
		if !errors.Is(err, redis.Nil) && ctx.Err() == nil {
			q.log.Warn("store: intake: claiming a contact", slog.String("contact", id.Redacted()), slog.Any("err", err))
		}
		return
	}
	q.serve(ctx, id, token, res, handle)
}

// workHanded drains the inbox of a contact Push claimed for this process.
func (q *Intake) workHanded(ctx context.Context, h handOver, b *busy, handle Handler) {
	if !b.add(h.id) {
		// A worker here still holds the contact: its commit released the lease a moment
		// ago and it has not returned yet. It is woken when it lets go, and claims anew.
		q.giveBack(ctx, h)
		q.wakeLater(h.id, b)
		return
	}
	defer q.letGo(h.id, b)
	q.serve(ctx, h.id, h.token, h.claim, handle)
}

// wakeLater has a contact woken when the worker holding it lets go, or now when none does.
func (q *Intake) wakeLater(id chat.ContactID, b *busy) {
	if !b.wakeIfHeld(id) {
		select {
		case q.wake <- id:
		default: // the scan finds it
		}
	}
}

// letGo ends a worker's hold on a contact, and wakes it again if a push landed meanwhile.
func (q *Intake) letGo(id chat.ContactID, b *busy) {
	if b.remove(id) {
		select {
		case q.wake <- id:
		default:
		}
	}
}

// serve drains a claimed contact's inbox; res is claim.lua's reply.
func (q *Intake) serve(ctx context.Context, id chat.ContactID, token string, res []any, handle Handler) {
	head, _ := stringAt(res, 0)
	tx := &Tx{r: q.r, id: id, token: token, lease: q.lease}
	v, _ := stringAt(res, 1)
	if version, err := parseVersion(v); err == nil { // else Load reads Redis and reports it
		profile, _ := stringAt(res, 2)
		session, _ := stringAt(res, 3)
		tx.set(version, profile, session)
	}
	q.drain(ctx, tx, head, handle)
}

// drain handles the contact's messages in order while the lease holds, starting with head.
// In the common case a message costs one round trip: the handler's commit acknowledges it
// and returns the next (see Tx); the contact's release after the last one costs one
// more.
func (q *Intake) drain(ctx context.Context, tx *Tx, head string, handle Handler) {
	id, token := tx.id, tx.token
	k := q.r.keysOf(id)
	hctx, cancel := context.WithCancelCause(ctx)
	var hb sync.WaitGroup
	// A lease the handler's commit released is not lost: the handler may still finish
	// what follows its commit.
	lost := func(cause error) {
		if !tx.isReleased() {
			cancel(cause)
		}
	}
	hb.Go(func() { heartbeat(hctx, q.client, q.lease, lost, k.lease, token, q.log) })
	defer func() {
		cancel(nil)
		hb.Wait()
	}()
	// settle runs the scripts that end a message's handling: they must reach Redis even
	// when Run was cancelled during the handler.
	settle := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	}
	release := func() {
		sctx, done := settle()
		defer done()
		_ = releaseScript.Run(sctx, q.client, []string{k.lease}, token).Err()
	}
	for {
		dead, ok := q.handleOne(hctx, tx, head, handle)
		if !ok {
			if ctx.Err() != nil {
				release() // shutting down: the next holder need not wait for the lease
			}
			return
		}
		handled := head
		if acked, next, more := tx.outcome(); acked && dead == "" {
			if more { // the commit took the message out and found the next
				if ctx.Err() != nil {
					release()
					return
				}
				head = next
				continue
			}
			if tx.isReleased() { // the commit found the inbox empty and let the contact go
				return
			}
			// The commit found the inbox empty: release the contact, unless a message came
			// meanwhile.
			handled = ""
		}
		sctx, done := settle()
		res, err := doneScript.Run(sctx, q.client, []string{k.lease, k.inbox, k.ready, k.queued, k.dead},
			token, q.lease.Milliseconds(), string(id), handled, dead).Slice()
		done()
		if err != nil {
			// The message stays first in the inbox (unless a commit acknowledged it); the lease
			// runs out and a worker handles it again, and its commit is refused as a duplicate.
			q.log.Warn("store: intake: acknowledging a message", slog.String("contact", id.Redacted()), slog.Any("err", err))
			return
		}
		status, _ := intAt(res, 0)
		if status != 1 {
			if status == 0 && handled != "" {
				q.log.Warn("store: intake: lease lost before the acknowledgement; the message may be handled again",
					slog.String("contact", id.Redacted()))
			}
			return
		}
		next, _ := stringAt(res, 1)
		if ctx.Err() != nil {
			release()
			return
		}
		head = next
	}
}

// handleOne runs handle on the stored message raw until it succeeds or the attempts are
// used up. It returns the dead-letter record to store (empty when handled) and false when the
// work must stop: Run is cancelled, or the lease is lost.
func (q *Intake) handleOne(hctx context.Context, tx *Tx, raw string, handle Handler) (string, bool) {
	id := tx.id
	var msg chat.Inbound
	err := contact.DecodeInbound(raw, &msg)
	tx.begin(raw, msg.ID)
	if err != nil {
		q.log.Error("store: intake: undecodable message moved to the dead letters",
			slog.String("contact", id.Redacted()), slog.Any("err", err))
		return q.deadRecord(DeadLetter{Raw: raw, Error: err.Error()}), true
	}
	counted := 0 // failures that count towards MaxAttempts: not those of Redis
	for attempt := 1; ; attempt++ {
		err := callHandler(hctx, handle, tx, msg)
		if err == nil {
			return "", true
		}
		if hctx.Err() != nil || errors.Is(err, ErrFenced) {
			return "", false
		}
		// When Redis, not the message, is at fault, the intake waits for it as long as it
		// takes: the message was acknowledged to Meta, and giving it up would lose it.
		if !errors.Is(err, ErrUnavailable) {
			counted++
		}
		if counted >= q.maxAttempts {
			q.log.Error("store: intake: message moved to the dead letters after repeated failures",
				slog.String("contact", id.Redacted()), slog.String("message", msg.ID),
				slog.Int("attempts", attempt), slog.Any("err", err))
			return q.deadRecord(DeadLetter{Message: msg, Error: err.Error(), Attempts: attempt}), true
		}
		wait := min(q.backoff<<min(attempt-1, 16), maxRetryBackoff)
		q.log.Warn("store: intake: handling a message failed; retrying",
			slog.String("contact", id.Redacted()), slog.String("message", msg.ID),
			slog.Int("attempt", attempt), slog.Duration("retry_in", wait), slog.Any("err", err))
		t := time.NewTimer(wait)
		select {
		case <-hctx.Done():
			t.Stop()
			return "", false
		case <-t.C:
		}
	}
}

func (q *Intake) deadRecord(d DeadLetter) string {
	d.At = q.r.clock.Now()
	b, err := json.Marshal(d)
	if err != nil { // a chat.Inbound always encodes; keep the error text at least
		b, _ = json.Marshal(DeadLetter{Raw: d.Raw, Error: d.Error, Attempts: d.Attempts, At: d.At})
	}
	return string(b)
}

// callHandler runs handle, turning a panic into an error so that one bad message cannot
// take the worker down.
func callHandler(ctx context.Context, handle Handler, tx *Tx, msg chat.Inbound) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return handle(ctx, tx, msg)
}

// heartbeat extends the lease held at key with token every third of lease until ctx is
// done; when the lease turns out lost it cancels with errLeaseLost.
func heartbeat(ctx context.Context, client redis.UniversalClient, lease time.Duration, cancel context.CancelCauseFunc, key, token string, log *slog.Logger) {
	t := time.NewTicker(lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		held, err := extendScript.Run(ctx, client, []string{key}, token, lease.Milliseconds()).Int64()
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("store: extending a lease", slog.Any("err", err))
			}
			continue // the lease may still hold; a commit checks it anyway
		}
		if held == 0 {
			cancel(errLeaseLost)
			return
		}
	}
}

// newToken returns a random fencing token.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
