package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/redact"
)

// DefaultHTTPMaxBody bounds what an http step reads from an answer when
// Options.HTTPMaxBody is 0, so a misbehaving endpoint cannot fill the session.
const DefaultHTTPMaxBody = 1 << 20

// stepHTTP calls an HTTP endpoint; on failure it jumps to on_error when the step has one.
// A failure the flow has no on_error for is a run-time error: the flow cannot know what
// to say next.
func (r *run) stepHTTP(st *flows.Step) (action, flows.Target, error) {
	if err := r.callHTTP(st.HTTP); err != nil {
		if st.HTTP.OnError.IsZero() {
			return 0, flows.Target{}, fmt.Errorf("http step failed and has no on_error: %w", err)
		}
		s := r.sess()
		r.record(chat.Event{Kind: chat.EventError, Flow: s.Flow, Step: s.Step, Detail: err.Error()})
		r.e.log.Warn("http step failed", slog.String("flow", s.Flow), slog.String("step", s.Step), slog.String("error", err.Error()))
		return actJump, st.HTTP.OnError, nil
	}
	return actNext, flows.Target{}, nil
}

// callHTTP runs an http step and returns why it failed. vars["<save>_status"] holds the
// answer's HTTP status when one came; on failure vars["<save>"] is removed and
// vars["<save>_error"] (vars["http_error"] without save) says why.
func (r *run) callHTTP(h *flows.HTTP) error {
	s := r.sess()
	errVar := h.Save + "_error"
	if h.Save == "" {
		errVar = "http_error"
	}
	delete(s.Vars, errVar)
	val, status, err := r.doHTTP(h)
	if h.Save != "" {
		if status > 0 {
			s.Vars[h.Save+"_status"] = status
		} else {
			delete(s.Vars, h.Save+"_status")
		}
	}
	if err != nil {
		// No answer from an earlier call may pass for this one's.
		if h.Save != "" {
			delete(s.Vars, h.Save)
		}
		// The text reaches the session, the history and the log: an endpoint's error may
		// echo the headers the step sent (an API key), so it is redacted first.
		msg := redact.Text(err.Error())
		s.Vars[errVar] = msg
		return errors.New(msg)
	}
	if h.Save != "" {
		s.Vars[h.Save] = val
	}
	return nil
}

func (r *run) doHTTP(h *flows.HTTP) (any, int, error) {
	// Values are escaped for where they stand (expr.Template.RenderURL, RenderJSON), so
	// that customer text cannot rewrite the path or add JSON keys.
	url, err := h.URL.RenderURL(r.env())
	if err != nil {
		return nil, 0, err
	}
	var body io.Reader
	var isJSON bool
	if h.Body != nil {
		render := r.render
		if h.Body.LooksJSON() {
			render = func(t *expr.Template) (string, error) { return t.RenderJSON(r.env()) }
		}
		b, err := render(h.Body)
		if err != nil {
			return nil, 0, err
		}
		isJSON = json.Valid([]byte(b))
		body = bytes.NewReader([]byte(b))
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = r.l.set.Settings.HTTPTimeout
	}
	if timeout <= 0 {
		timeout = flows.DefaultHTTPTimeout
	}
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, h.Method, url, body)
	if err != nil {
		return nil, 0, fmt.Errorf("building request: %w", err)
	}
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, t := range h.Headers {
		v, err := r.render(t)
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set(k, v)
	}
	resp, err := r.e.opts.HTTP.Do(req)
	if err != nil {
		var te interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) ||
			(errors.As(err, &te) && te.Timeout()) {
			return nil, 0, fmt.Errorf("%s %s: timed out after %s", h.Method, req.URL.Redacted(), timeout)
		}
		return nil, 0, fmt.Errorf("%s %s: %w", h.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	limit := r.e.opts.HTTPMaxBody
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: reading answer: %w", h.Method, req.URL.Redacted(), err)
	}
	if int64(len(data)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: answer larger than %d bytes (http_steps.max_body)", h.Method, req.URL.Redacted(), limit)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: status %d", h.Method, req.URL.Redacted(), resp.StatusCode)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return string(data), resp.StatusCode, nil
	}
	return wholeNumbers(v), resp.StatusCode, nil
}
