package inbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/normalize"
)

// listLimit is how many of the most recently changed conversations a list reads.
const listLimit = 1000

// agentKey is the context key of the signed-in agent.
type agentKey struct{}

// AgentFrom returns the agent a request was authenticated as.
func AgentFrom(ctx context.Context) (*Agent, bool) {
	a, ok := ctx.Value(agentKey{}).(*Agent)
	return a, ok
}

// APIRoutes mounts the JSON API on r; every route checks the bearer token. docs/inbox.md
// and docs/inbox.openapi.json describe it.
func (ib *Inbox) APIRoutes(r chi.Router) {
	r.Use(ib.authenticate)
	r.Get("/me", ib.handleMe)
	r.Get("/agents", ib.handleAgents)
	r.Get("/events", ib.handleEvents)
	r.Get("/conversations", ib.handleList)
	r.Route("/conversations/{contact}", func(r chi.Router) {
		r.Get("/", ib.handleGet)
		r.Get("/history", ib.handleHistory)
		r.Post("/claim", ib.action(ib.Claim))
		r.Post("/release", ib.handleRelease)
		r.Post("/close", ib.action(ib.Close))
		r.Post("/seen", ib.action(ib.Seen))
		r.Post("/typing", ib.handleTyping)
		r.Post("/reply", ib.handleReply)
		r.Post("/notes", ib.handleNote)
		r.Put("/labels", ib.handleLabels)
		r.Post("/transfer", ib.handleTransfer)
	})
}

// authenticate finds the agent whose token hash matches the bearer token. Every hash is
// compared in constant time, so the answer's timing tells nothing about the tokens.
func (ib *Inbox) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var agent *Agent
		if ok && token != "" {
			sum := sha256.Sum256([]byte(token))
			for i := range ib.cfg.Agents {
				if subtle.ConstantTimeCompare(sum[:], ib.cfg.Agents[i].TokenHash[:]) == 1 {
					agent = &ib.cfg.Agents[i]
				}
			}
		}
		if agent == nil {
			ib.metrics.denied.WithLabelValues("unauthorized").Inc()
			ib.log.Warn("inbox: request without a valid agent token", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr), slog.Bool("token_given", ok && token != ""))
			w.Header().Set("WWW-Authenticate", `Bearer realm="wasla inbox"`)
			writeError(w, http.StatusUnauthorized, "sign in with your agent token")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), agentKey{}, agent)))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	// ClaimedBy names the winner of a claim the caller lost.
	ClaimedBy string `json:"claimed_by,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// fail maps an action's error to its status code; a 403 is logged with the agent, never
// the token.
func (ib *Inbox) fail(w http.ResponseWriter, r *http.Request, err error) {
	a, _ := AgentFrom(r.Context())
	var claimed *ClaimedError
	switch {
	case errors.As(err, &claimed):
		writeJSON(w, http.StatusConflict, apiError{Error: err.Error(), ClaimedBy: claimed.By})
	case errors.Is(err, ErrForbidden):
		ib.metrics.denied.WithLabelValues("forbidden").Inc()
		ib.log.Warn("inbox: agent refused", slog.String("agent", a.ID), slog.String("method", r.Method), slog.String("path", r.URL.Path))
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrClosed), errors.Is(err, ErrNotClaimed), errors.Is(err, ErrWindowClosed):
		writeError(w, http.StatusConflict, err.Error())
	case errors.Is(err, ErrBadRequest):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		ib.log.Error("inbox: request failed", slog.String("agent", a.ID), slog.String("path", r.URL.Path), slog.Any("error", err))
		writeError(w, http.StatusInternalServerError, "the inbox could not do that; see the server log")
	}
}

func contactParam(r *http.Request) chat.ContactID {
	return chat.ContactID(chi.URLParam(r, "contact"))
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Join(ErrBadRequest, err)
	}
	return nil
}

// agentView is an agent as the API shows it.
type agentView struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Role   Role     `json:"role"`
	Queues []string `json:"queues"`
}

func viewOf(a *Agent) agentView {
	qs := a.Queues
	if qs == nil {
		qs = []string{}
	}
	return agentView{ID: a.ID, Name: a.Name, Role: a.Role, Queues: qs}
}

type queueView struct {
	Name  string `json:"name"`
	Title string `json:"title"`
}

type meView struct {
	agentView
	QueueDetails []queueView `json:"queue_details"`
	// Agents are the colleagues one may transfer to: those sharing a queue.
	Agents []agentView `json:"agents"`
	Now    time.Time   `json:"now"`
}

func (ib *Inbox) handleMe(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	me := meView{agentView: viewOf(a), Now: ib.clock.Now(), QueueDetails: []queueView{}, Agents: []agentView{}}
	for _, q := range ib.cfg.Queues {
		if a.InQueue(q.Name) {
			me.QueueDetails = append(me.QueueDetails, queueView{Name: q.Name, Title: q.Title})
		}
	}
	for i := range ib.cfg.Agents {
		other := &ib.cfg.Agents[i]
		if slices.ContainsFunc(me.QueueDetails, func(q queueView) bool { return other.InQueue(q.Name) }) {
			me.Agents = append(me.Agents, viewOf(other))
		}
	}
	writeJSON(w, http.StatusOK, me)
}

// handleAgents lists every agent: admins only.
func (ib *Inbox) handleAgents(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	if a.Role != RoleAdmin {
		ib.fail(w, r, ErrForbidden)
		return
	}
	out := make([]agentView, len(ib.cfg.Agents))
	for i := range ib.cfg.Agents {
		out[i] = viewOf(&ib.cfg.Agents[i])
	}
	writeJSON(w, http.StatusOK, out)
}

// Views of the conversation list.
const (
	ViewWaiting = "waiting"
	ViewMine    = "mine"
	ViewOthers  = "others"
	ViewClosed  = "closed"
)

func viewOfConv(c *Conversation, a *Agent) string {
	switch {
	case c.State == StateWaiting:
		return ViewWaiting
	case c.State == StateClosed:
		return ViewClosed
	case c.Assignee == a.ID:
		return ViewMine
	}
	return ViewOthers
}

// listItem is one row of the list: the record with its deadline.
type listItem struct {
	*Conversation
	Deadline *Deadline `json:"deadline,omitempty"`
	Overdue  bool      `json:"overdue"`
}

type listView struct {
	// After is the live stream's position when the list was read: the event stream resumed
	// after it misses nothing that changed since.
	After string `json:"after"`
	// Counts per view and unread per view, over the queues asked for.
	Counts        map[string]int `json:"counts"`
	Unread        map[string]int `json:"unread"`
	Conversations []listItem     `json:"conversations"`
}

func (ib *Inbox) handleList(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	qv := r.URL.Query()
	view, queue, search := qv.Get("view"), qv.Get("queue"), normalize.Text(qv.Get("q"))
	if view == "" {
		view = ViewWaiting
	}
	if !slices.Contains([]string{ViewWaiting, ViewMine, ViewOthers, ViewClosed, "all"}, view) {
		writeError(w, http.StatusBadRequest, "view must be waiting, mine, others, closed or all")
		return
	}
	if queue != "" && !a.InQueue(queue) {
		ib.fail(w, r, ErrForbidden)
		return
	}
	after, err := ib.rec.lastEventID(r.Context())
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	convs, err := ib.rec.list(r.Context(), listLimit)
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	now := ib.clock.Now()
	out := listView{After: after, Counts: map[string]int{}, Unread: map[string]int{}, Conversations: []listItem{}}
	for _, c := range convs {
		if !a.InQueue(c.Queue) || (queue != "" && c.Queue != queue) || !matches(c, search) {
			continue
		}
		v := viewOfConv(c, a)
		out.Counts[v]++
		out.Unread[v] += c.Unread
		if view != "all" && v != view {
			continue
		}
		q, _ := ib.cfg.Queue(c.Queue)
		d := DeadlineOf(c, q, ib.schedule(c.Queue))
		out.Conversations = append(out.Conversations, listItem{Conversation: c, Deadline: d, Overdue: d != nil && now.After(d.At)})
	}
	writeJSON(w, http.StatusOK, out)
}

// matches reports whether the conversation's name, number, labels or latest message hold
// the folded search text: Arabic is folded as flow keywords are (hamza forms, ta marbuta,
// diacritics, Arabic-Indic digits), so "احمد" finds "أحمد".
func matches(c *Conversation, folded string) bool {
	if folded == "" {
		return true
	}
	hay := normalize.Text(c.Name + " " + string(c.Contact) + " " + strings.Join(c.Labels, " ") + " " + c.Preview)
	return strings.Contains(hay, folded)
}

type detailView struct {
	Conversation *Conversation `json:"conversation"`
	Deadline     *Deadline     `json:"deadline,omitempty"`
	Reply        *ReplyInfo    `json:"reply"`
}

func (ib *Inbox) handleGet(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	c, err := ib.Conversation(r.Context(), a, contactParam(r))
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	info, err := ib.replyInfo(r.Context(), a, c)
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	q, _ := ib.cfg.Queue(c.Queue)
	writeJSON(w, http.StatusOK, detailView{Conversation: c, Deadline: DeadlineOf(c, q, ib.schedule(c.Queue)), Reply: info})
}

type historyView struct {
	Events []chat.Event `json:"events"`
	Notes  []Note       `json:"notes"`
	// Numbers names each business number the events went through, as people know it.
	Numbers map[chat.NumberID]string `json:"numbers"`
}

func (ib *Inbox) handleHistory(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	evs, notes, err := ib.Thread(r.Context(), a, contactParam(r))
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []chat.Event{}
	}
	names := map[chat.NumberID]string{}
	for _, ev := range evs {
		if _, ok := names[ev.Number]; !ok && ev.Number != "" {
			names[ev.Number] = ib.numberName(ev.Number)
		}
	}
	writeJSON(w, http.StatusOK, historyView{Events: evs, Notes: notes, Numbers: names})
}

// action serves an action that takes no body and returns the changed record.
func (ib *Inbox) action(fn func(context.Context, *Agent, chat.ContactID) (*Conversation, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, _ := AgentFrom(r.Context())
		c, err := fn(r.Context(), a, contactParam(r))
		if err != nil {
			ib.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, c)
	}
}

// handleRelease gives the conversation back to the bot; a body {"flow", "step"} names
// where the bot goes on.
func (ib *Inbox) handleRelease(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	var req struct {
		Flow string `json:"flow"`
		Step string `json:"step"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &req); err != nil {
			ib.fail(w, r, err)
			return
		}
	}
	var c *Conversation
	var err error
	if req.Flow == "" {
		c, err = ib.Release(r.Context(), a, contactParam(r))
	} else {
		c, err = ib.ReleaseAt(r.Context(), a, contactParam(r), req.Flow, req.Step)
	}
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (ib *Inbox) handleTyping(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	if err := ib.Typing(r.Context(), a, contactParam(r)); err != nil {
		ib.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (ib *Inbox) handleReply(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	var req ReplyRequest
	if err := decodeBody(r, &req); err != nil {
		ib.fail(w, r, err)
		return
	}
	res, err := ib.Reply(r.Context(), a, contactParam(r), req)
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (ib *Inbox) handleNote(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	var req struct {
		Text string `json:"text"`
	}
	if err := decodeBody(r, &req); err != nil {
		ib.fail(w, r, err)
		return
	}
	n, err := ib.AddNote(r.Context(), a, contactParam(r), req.Text)
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (ib *Inbox) handleLabels(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	var req struct {
		Labels []string `json:"labels"`
	}
	if err := decodeBody(r, &req); err != nil {
		ib.fail(w, r, err)
		return
	}
	c, err := ib.SetLabels(r.Context(), a, contactParam(r), req.Labels)
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (ib *Inbox) handleTransfer(w http.ResponseWriter, r *http.Request) {
	a, _ := AgentFrom(r.Context())
	var req struct {
		Queue string `json:"queue"`
		Agent string `json:"agent"`
	}
	if err := decodeBody(r, &req); err != nil {
		ib.fail(w, r, err)
		return
	}
	c, err := ib.Transfer(r.Context(), a, contactParam(r), req.Queue, req.Agent)
	if err != nil {
		ib.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
