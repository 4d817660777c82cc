package simulation

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/chat"
)

// FitWindow is how long after a send a contact's reaction is put down to it: Meta's
// customer service window, the span in which a reply is an answer.
const FitWindow = 24 * time.Hour

// MinFitSends is the fewest sends a fit accepts: below it a rate is noise.
const MinFitSends = 100

// Fit is what FitHistory read and what it set.
type Fit struct {
	// Sends are the template messages sent (the campaign's messages); Delivered those
	// without a failed status.
	Sends, Delivered int
	// Counts of what followed a send within FitWindow.
	Undeliverable, Fatigued, Replied, Negative, OptOuts int
	// Fitted names the model's fields set from the history, Kept those left at the
	// base model because the history cannot show them (reads are not in the history,
	// blocks and reports reach only Meta).
	Fitted, Kept []string
}

// FitHistory reads a history export (`wasla history export --format jsonl`, one
// chat.Event a line, each contact's events oldest first) and returns base with the
// probabilities the history shows replaced by their observed rates:
//
//   - Undeliverable and Fatigued: failed statuses 131026 and 131049 per send;
//   - Reply: replies (a contact's first inbound message within FitWindow of a template)
//     per delivered send, divided by base.Read (the model draws a reply among readers;
//     the history does not hold reads);
//   - OptOut: opt-out events within FitWindow of a send, per delivered send;
//   - Negative: replies that hold one of phrases, per delivered send.
//
// Read, Block and Report stay at base: the history has no read receipts, and blocks and
// reports reach only Meta. A line that is not an event is an error naming file:line.
func FitHistory(file string, r io.Reader, base Model, phrases *health.Phrases) (Model, Fit, error) {
	type pending struct {
		at      time.Time
		replied bool
		optOut  bool
		failed  bool
	}
	last := map[chat.ContactID]*pending{}
	var f Fit
	failed := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var ev chat.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return base, f, fmt.Errorf("%s:%d: not a history event (wasla history export --format jsonl writes one per line): %w", file, line, err)
		}
		if ev.Contact == "" || ev.Kind == "" {
			return base, f, fmt.Errorf("%s:%d: a history event needs a kind and a contact", file, line)
		}
		p := last[ev.Contact]
		within := p != nil && !ev.At.Before(p.at) && ev.At.Sub(p.at) <= FitWindow
		switch ev.Kind {
		case chat.EventOutbound:
			if ev.Outbound == nil || ev.Outbound.Kind != chat.KindTemplate {
				continue
			}
			f.Sends++
			last[ev.Contact] = &pending{at: ev.At}
		case chat.EventStatus:
			if !within || p.failed || ev.ErrorCode == 0 {
				continue
			}
			p.failed = true
			failed++
			switch ev.ErrorCode {
			case 131026:
				f.Undeliverable++
			case 131049:
				f.Fatigued++
			}
		case chat.EventInbound:
			if !within || p.replied {
				continue
			}
			p.replied = true
			f.Replied++
			if ev.Inbound != nil && phrases != nil && phrases.Match(ev.Inbound.Text) != "" {
				f.Negative++
			}
		case chat.EventOptOut:
			if !within || p.optOut {
				continue
			}
			p.optOut = true
			f.OptOuts++
		}
	}
	if err := sc.Err(); err != nil {
		return base, f, fmt.Errorf("%s:%d: %w", file, line+1, err)
	}
	f.Delivered = f.Sends - failed
	if f.Sends < MinFitSends {
		return base, f, fmt.Errorf("%s: %d template sends in the history; fitting needs at least %d (fewer prove nothing)", file, f.Sends, MinFitSends)
	}
	m := base
	sends, delivered := float64(f.Sends), float64(max(f.Delivered, 1))
	m.Undeliverable = float64(f.Undeliverable) / sends
	m.Fatigued = float64(f.Fatigued) / sends
	if m.Read > 0 {
		m.Reply = min(1, float64(f.Replied)/delivered/m.Read)
	}
	m.OptOut = float64(f.OptOuts) / delivered
	m.Negative = float64(f.Negative) / delivered
	f.Fitted = []string{"undeliverable", "fatigued", "reply", "opt_out", "negative"}
	f.Kept = []string{"read", "block", "report"}
	return m, f, nil
}

// FormatFit describes a fit for people: what was read, and each probability before and
// after.
func FormatFit(f Fit, base, m Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "fitted from the history: %d template sends, %d delivered; within %.0f hours of a send: %d × 131026, %d × 131049, %d replies (%d negative), %d opt-outs\n",
		f.Sends, f.Delivered, FitWindow.Hours(), f.Undeliverable, f.Fatigued, f.Replied, f.Negative, f.OptOuts)
	row := func(name string, was, now float64, note string) {
		fmt.Fprintf(&b, "  %-14s %7.3f%% -> %7.3f%%%s\n", name, 100*was, 100*now, note)
	}
	row("undeliverable", base.Undeliverable, m.Undeliverable, "")
	row("fatigued", base.Fatigued, m.Fatigued, "")
	row("read", base.Read, m.Read, "  (kept: the history holds no read receipts)")
	row("reply", base.Reply, m.Reply, "  (of those read)")
	row("opt_out", base.OptOut, m.OptOut, "")
	row("negative", base.Negative, m.Negative, "")
	row("block", base.Block, m.Block, "  (kept: blocks reach only Meta)")
	row("report", base.Report, m.Report, "  (kept: reports reach only Meta)")
	return b.String()
}
