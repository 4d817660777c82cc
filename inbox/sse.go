package inbox

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"
)

// DefaultHeartbeat is how long an event stream stays silent at most: a comment line then
// keeps proxies from closing it, and the wait on Redis is bounded by it.
const DefaultHeartbeat = 15 * time.Second

// streamID matches a Redis Stream entry id, the only Last-Event-ID accepted.
var streamID = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// handleEvents streams the inbox's live events as Server-Sent Events: each event's id is
// its Redis Stream entry id, so a client that reconnects with Last-Event-ID (or the
// last_event_id parameter, or the `after` of a list it read) gets exactly what it missed,
// whichever replica wrote it. An agent receives only the events of its queues.
func (ib *Inbox) handleEvents(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("last_event_id")
	}
	if after != "" && !streamID.MatchString(after) {
		writeError(w, http.StatusBadRequest, "Last-Event-ID must be an event id such as 1767225600000-0")
		return
	}
	ctx := r.Context()
	if after == "" {
		var err error
		if after, err = ib.rec.lastEventID(ctx); err != nil {
			ib.fail(w, r, err)
			return
		}
	}
	rc := http.NewResponseController(w)
	// The server's WriteTimeout would end the stream; it lives as long as the client.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		ib.log.Debug("inbox: event stream keeps the write deadline", slog.Any("error", err))
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 2000\n: stream after %s\n\n", after)
	if rc.Flush() != nil {
		return
	}
	for ctx.Err() == nil {
		evs, err := ib.rec.readEvents(ctx, after, ib.beat)
		if err != nil {
			if ctx.Err() == nil {
				ib.log.Warn("inbox: reading the event stream", slog.Any("error", err))
			}
			return // the client reconnects with its Last-Event-ID
		}
		sent := false
		for _, ev := range evs {
			after = ev.ID
			if !a.InQueue(ev.Queue) {
				continue
			}
			b, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, b)
			sent = true
		}
		if !sent {
			fmt.Fprintf(w, ": ping\n\n")
		}
		if rc.Flush() != nil {
			return
		}
	}
}
