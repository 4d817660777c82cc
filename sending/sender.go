package sending

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/redact"
)

// Numbers is what the sender needs of the number registry; *numbers.Registry has it.
type Numbers interface {
	Lookup(id chat.NumberID) (numbers.Number, bool)
	State(id chat.NumberID) numbers.State
	Throughput(id chat.NumberID) int
	MarkRestricted(ctx context.Context, id chat.NumberID, reason string) error
}

// Recorder appends an event to a contact's history; the server wires it to the store.
// It must be safe for concurrent use.
type Recorder interface {
	RecordEvent(ctx context.Context, ev chat.Event) error
}

// Observer hears of every send's outcome, for metrics. Implementations must be safe for
// concurrent use and fast.
type Observer interface {
	// Sent is called when Meta accepted a message.
	Sent(number chat.NumberID, kind chat.Kind)
	// Failed is called when Meta refused a message or could not be reached; code is Meta's
	// error code, 0 when there is none (a network failure).
	Failed(number chat.NumberID, code int)
	// Refused is called when the sender itself did not send: the number is unknown,
	// restricted or banned, or its throughput is used up.
	Refused(number chat.NumberID, reason string)
}

// DefaultMaxWait is how long a send waits for a throughput slot when Options.MaxWait is 0.
const DefaultMaxWait = 10 * time.Second

// Reasons of refusals reported to the Observer.
const (
	ReasonUnknownNumber = "unknown number"
	ReasonUnusable      = "number restricted or banned"
	ReasonThrottled     = "throughput limit"
)

// Options configure a Sender.
type Options struct {
	// Client talks to the Graph API; required.
	Client *whatsapp.Client
	// Numbers gives each number's token, throughput and health; required.
	Numbers Numbers
	// Limiter spaces the sends of each number across replicas; nil: no limit of our own
	// (Meta's 130429 answers are still retried by the client).
	Limiter Limiter
	// Recorder records failures in the contact's history; nil: failures are only
	// returned.
	Recorder Recorder
	// Observer hears of every outcome; nil: nobody.
	Observer Observer
	// Clock stamps recorded events and decides whether a restriction is over; default the
	// wall clock.
	Clock clock.Clock
	// MaxWait bounds the wait for a throughput slot; default DefaultMaxWait.
	MaxWait time.Duration
	// Sleep waits for d or until ctx is done; nil means a timer. Tests record the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives a Warn record when the limiter is unreachable; nil discards.
	Logger *slog.Logger
}

// Sender is the engine.Sender that delivers messages through the WhatsApp Cloud API, from
// the number the router chose, with that number's token and within its throughput. It is
// safe for concurrent use.
type Sender struct {
	opts Options
}

// New returns a sender.
func New(opts Options) (*Sender, error) {
	if opts.Client == nil {
		return nil, errors.New("sending: no whatsapp client")
	}
	if opts.Numbers == nil {
		return nil, errors.New("sending: no number registry")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.Sleep == nil {
		opts.Sleep = clock.Sleep
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{opts: opts}, nil
}

// Send delivers msg; it implements engine.Sender.
func (s *Sender) Send(ctx context.Context, msg chat.Outbound) error {
	_, err := s.SendMessage(ctx, msg)
	return err
}

// SendMessage delivers msg from msg.From and returns the wamid Meta assigned (accepted,
// not yet delivered: a failed status webhook may follow). It is Attempt, then on failure
// RecordFailure: the failure is acted on and recorded at once, never retried here.
func (s *Sender) SendMessage(ctx context.Context, msg chat.Outbound) (string, error) {
	wamid, err := s.Attempt(ctx, msg)
	if err != nil {
		return "", s.RecordFailure(ctx, msg, err)
	}
	return wamid, nil
}

// Attempt sends msg once from msg.From and returns the wamid Meta assigned. A number that
// is unknown, restricted or banned, or whose throughput stays used up longer than MaxWait,
// sends nothing. A restricted-class answer (131048, 368, 131031, 130497) marks the number
// restricted in the registry. It records nothing in the history: the caller decides
// whether to try again (Retryable) or to give up (RecordFailure).
func (s *Sender) Attempt(ctx context.Context, msg chat.Outbound) (string, error) {
	n, err := s.ready(ctx, msg.From)
	if err != nil {
		return "", err
	}
	wamid, err := s.opts.Client.Send(ctx, n.ID, string(n.Token), msg)
	if err == nil {
		if s.opts.Observer != nil {
			s.opts.Observer.Sent(n.ID, msg.Kind)
		}
		return wamid, nil
	}
	err = fmt.Errorf("sending %s from number %s: %w", msg.Kind, n.ID, err)
	class, code := classify(err)
	if s.opts.Observer != nil {
		s.opts.Observer.Failed(n.ID, code)
	}
	if class == whatsapp.ClassRestricted {
		if merr := s.opts.Numbers.MarkRestricted(ctx, n.ID, restrictReason(err, code)); merr != nil {
			err = errors.Join(err, fmt.Errorf("marking number %s restricted: %w", n.ID, merr))
		}
	}
	return "", err
}

// RecordFailure records in the contact's history that msg was not sent because of err, an
// error of Attempt, and returns err (joined with a recording failure):
//
//   - the sender's own refusals (unknown, restricted or banned number, throughput), the
//     unreachable or opted-out class (131026, 131049, 130472, 131050) and the closed
//     window (131047): a refused event with the code in Detail;
//   - restricted numbers, template problems (132xxx), back-off errors that were not
//     overcome, and any other failure: an error event.
func (s *Sender) RecordFailure(ctx context.Context, msg chat.Outbound, err error) error {
	kind := chat.EventError
	switch {
	case errors.Is(err, ErrUnknownNumber), errors.Is(err, ErrNumberUnusable), errors.Is(err, ErrThrottled):
		kind = chat.EventRefused
	default:
		switch class, _ := classify(err); class {
		case whatsapp.ClassUnreachable, whatsapp.ClassWindowClosed:
			kind = chat.EventRefused
		}
	}
	return s.fail(ctx, msg, kind, err)
}

// Retryable reports whether an error of Attempt may go away by itself, so that the message
// is worth trying again later: the number's throughput was used up, Meta asked to back off
// (130429 throughput, 131056 pair rate limit, 5xx and the other back-off codes), or Meta
// could not be reached at all (refused or reset connections, timeouts). A number that is
// restricted, banned or unknown, and every other answer of Meta, is final.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrThrottled):
		return true
	case errors.Is(err, ErrUnknownNumber), errors.Is(err, ErrNumberUnusable):
		return false
	}
	var api *whatsapp.APIError
	if errors.As(err, &api) {
		return api.Class() == whatsapp.ClassBackOff
	}
	if errors.Is(err, whatsapp.ErrInvalidMessage) {
		return false
	}
	// Not an answer of Meta: the request failed on the way (a network error, a timeout).
	return true
}

// MarkRead marks an inbound message (and those before it) read on number, showing the
// typing indicator when typing is set. It takes a throughput slot like a send.
func (s *Sender) MarkRead(ctx context.Context, number chat.NumberID, messageID string, typing bool) error {
	n, err := s.ready(ctx, number)
	if err != nil {
		return err
	}
	if err := s.opts.Client.MarkRead(ctx, n.ID, string(n.Token), messageID, typing); err != nil {
		return fmt.Errorf("marking message read on number %s: %w", n.ID, err)
	}
	return nil
}

// ready looks the number up, checks that it may send and waits for its throughput slot.
func (s *Sender) ready(ctx context.Context, id chat.NumberID) (numbers.Number, error) {
	n, ok := s.opts.Numbers.Lookup(id)
	if !ok {
		s.refused(id, ReasonUnknownNumber)
		return numbers.Number{}, fmt.Errorf("%w: %q", ErrUnknownNumber, id)
	}
	st := s.opts.Numbers.State(id)
	if !st.Usable(s.opts.Clock.Now()) {
		s.refused(id, ReasonUnusable)
		return numbers.Number{}, fmt.Errorf("%w: number %s is %s (%s)", ErrNumberUnusable, id, st.Status, st.Reason)
	}
	if s.opts.Limiter == nil {
		return n, nil
	}
	wait, err := s.opts.Limiter.Reserve(ctx, id, s.opts.Numbers.Throughput(id), s.opts.MaxWait)
	switch {
	case errors.Is(err, ErrThrottled):
		s.refused(id, ReasonThrottled)
		return numbers.Number{}, err
	case err != nil:
		// Meta enforces the limit anyway (130429, retried by the client): a limiter that
		// cannot be reached must not stop every reply.
		s.opts.Logger.WarnContext(ctx, "throughput limiter unavailable; sending without it",
			slog.String("number", string(id)), slog.Any("err", err))
		return n, nil
	}
	if wait > 0 {
		if err := s.opts.Sleep(ctx, wait); err != nil {
			return numbers.Number{}, fmt.Errorf("waiting for a send slot of number %s: %w", id, err)
		}
	}
	return n, nil
}

func (s *Sender) refused(id chat.NumberID, reason string) {
	if s.opts.Observer != nil {
		s.opts.Observer.Refused(id, reason)
	}
}

// fail records that msg was not sent and returns err, joined with a recording failure.
func (s *Sender) fail(ctx context.Context, msg chat.Outbound, kind chat.EventKind, err error) error {
	if s.opts.Recorder == nil {
		return err
	}
	m := msg
	ev := chat.Event{Kind: kind, Contact: msg.To, Number: msg.From, At: s.opts.Clock.Now(), Outbound: &m, Detail: detail(err)}
	if class, code := classify(err); code != 0 {
		ev.ErrorCode, ev.ErrorClass = code, class.String()
	}
	if rerr := s.opts.Recorder.RecordEvent(ctx, ev); rerr != nil {
		return errors.Join(err, fmt.Errorf("recording the failed send: %w", rerr))
	}
	return err
}

// detail describes a failure for the history: Meta's code and class first, so that
// readers and exports can filter on them. It is redacted: the history outlives the
// process, and an error may echo what the request carried.
func detail(err error) string {
	class, code := classify(err)
	if code != 0 {
		return redact.Text(fmt.Sprintf("whatsapp error %d (%s): %v", code, class, err))
	}
	return redact.Text(err.Error())
}

// classify returns the class and Meta error code of err (ClassOther and 0 for a failure
// that is not Meta's answer).
func classify(err error) (whatsapp.Class, int) {
	var api *whatsapp.APIError
	if errors.As(err, &api) {
		return api.Class(), api.Code
	}
	return whatsapp.ClassOf(err), 0
}

// restrictReason says why a number was marked restricted: Meta's code and title.
func restrictReason(err error, code int) string {
	var api *whatsapp.APIError
	if errors.As(err, &api) && api.Message != "" {
		return fmt.Sprintf("send error %d: %s", code, api.Message)
	}
	return fmt.Sprintf("send error %d", code)
}
