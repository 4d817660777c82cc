package server

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/redact"
	"github.com/wasla/wasla/sending"
	"github.com/wasla/wasla/store"
)

// Defaults of the outbox's retries: those of the configuration's outbox section.
const (
	// DefaultDeliverFor is how long a reply is tried before it is given up: the 24-hour
	// customer service window, after which free-form text can no longer be delivered.
	DefaultDeliverFor = config.DefaultOutboxGiveUpAfter
	// DefaultRetryBase is the wait before the second attempt; each later one doubles it.
	DefaultRetryBase = config.DefaultOutboxRetryFirst
	// DefaultRetryMax caps the wait between attempts.
	DefaultRetryMax = config.DefaultOutboxRetryMax
)

// deliverer sends the replies of the outbox through the Graph API sender: once per
// attempt, again later with capped exponential back-off and jitter while the failure may
// go away by itself (network errors, 5xx, throughput and pair rate limits), and given up
// and recorded in the history when it cannot (or when the reply is older than DeliverFor).
type deliverer struct {
	send    Sender
	metrics *Metrics
	log     *slog.Logger
	clock   clock.Clock
	// For bounds how long a reply is retried, counted from its commit.
	For time.Duration
	// Base and Max shape the back-off: Base, 2·Base, 4·Base, ... up to Max, each wait a
	// random duration between half and all of it.
	Base, Max time.Duration
}

// deliver is a store.Deliver.
func (d *deliverer) deliver(ctx context.Context, del store.Delivery) store.Outcome {
	msg := del.Message
	if del.Unknown > 0 {
		d.metrics.Delivery(msg.From, "unknown")
		d.log.Warn("sending a reply whose earlier attempt was cut off: the customer may get it twice",
			slog.String("contact", del.Contact.Redacted()), slog.String("number", string(msg.From)),
			slog.String("entry", del.Entry), slog.Int("attempt", del.Attempt))
	}
	// The reply's own callback data: a status webhook of this attempt finds the reply even
	// if its answer is lost with this process (server.deliveryStatus).
	msg.CallbackData = cmp.Or(msg.CallbackData, store.ReplyCallback(del.Entry, del.Attempt))
	wamid, err := d.send.Attempt(ctx, msg)
	if err == nil {
		d.metrics.Delivery(msg.From, "sent")
		return store.Outcome{Wamid: wamid}
	}
	now := d.clock.Now()
	if sending.Retryable(err) && ctx.Err() == nil {
		at := now.Add(d.backoff(del.Attempt))
		if at.Before(del.Queued.Add(d.For)) {
			d.metrics.Delivery(msg.From, "retry")
			d.log.Warn("reply not sent; retrying", slog.String("contact", del.Contact.Redacted()),
				slog.String("number", string(msg.From)), slog.Int("attempt", del.Attempt),
				slog.Time("retry_at", at), slog.Any("error", err))
			return store.Outcome{RetryAt: at}
		}
	}
	f := failureOf(err)
	d.metrics.Delivery(msg.From, "failed")
	d.metrics.OutboxFailed(msg.From, f.Class)
	if rerr := d.send.RecordFailure(ctx, msg, err); rerr != nil {
		d.log.Warn("reply not delivered", slog.String("contact", del.Contact.Redacted()),
			slog.String("number", string(msg.From)), slog.Int("attempts", del.Attempt), slog.Any("error", rerr))
	}
	return store.Outcome{Failed: f}
}

// failureOf says why a reply was given up, for its delivery state and the failed list:
// Meta's code, class and message, or the sender's own refusal, or the class of a network
// failure; always redacted, since the state outlives the process.
func failureOf(err error) *store.Failure {
	var api *whatsapp.APIError
	if errors.As(err, &api) {
		return &store.Failure{Code: api.Code, Class: api.Class().String(), Title: redact.Text(api.Message)}
	}
	class := whatsapp.ClassOf(err).String()
	switch {
	case errors.Is(err, sending.ErrUnknownNumber):
		class = "unknown_number"
	case errors.Is(err, sending.ErrNumberUnusable):
		class = "number_unusable"
	case errors.Is(err, sending.ErrThrottled):
		class = "throttled"
	}
	return &store.Failure{Class: class, Title: redact.Text(err.Error())}
}

// backoff is the wait after the attempt-th failed attempt: Base·2^(attempt-1), capped at
// Max, with jitter between half and all of it so that contacts do not retry in step.
func (d *deliverer) backoff(attempt int) time.Duration {
	w := d.Base
	for i := 1; i < attempt && w < d.Max; i++ {
		w *= 2
	}
	w = min(w, d.Max)
	half := w / 2
	return half + rand.N(w-half+1)
}
