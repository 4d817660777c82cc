package server

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flows/schedule"
	"github.com/wasla/wasla/inbox"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/routing"
	"github.com/wasla/wasla/sending"
	"github.com/wasla/wasla/store"
)

// lateDeps lets the inbox be built before the engine whose store it watches and the
// sender whose failures it records; Build fills both in before anything runs.
type lateDeps struct {
	eng    *engine.Engine
	sender *sending.Sender
}

var (
	_ inbox.Engine         = (*lateDeps)(nil)
	_ inbox.MarkReader     = (*lateDeps)(nil)
	_ inbox.StepReleaser   = (*lateDeps)(nil)
	_ inbox.QueueSchedules = (*lateDeps)(nil)
)

func (l *lateDeps) AgentReply(ctx context.Context, id chat.ContactID, agent string, msg chat.Outbound) error {
	return l.eng.AgentReply(ctx, id, agent, msg)
}

func (l *lateDeps) ReturnToBot(ctx context.Context, id chat.ContactID) error {
	return l.eng.ReturnToBot(ctx, id)
}

func (l *lateDeps) ReturnToBotAt(ctx context.Context, id chat.ContactID, flow, step string) error {
	return l.eng.ReturnToBotAt(ctx, id, flow, step)
}

func (l *lateDeps) QueueSchedule(queue string) *schedule.Schedule {
	return l.eng.QueueSchedule(queue)
}

func (l *lateDeps) State(ctx context.Context, id chat.ContactID) (*engine.State, error) {
	return l.eng.State(ctx, id)
}

func (l *lateDeps) MarkRead(ctx context.Context, number chat.NumberID, messageID string, typing bool) error {
	return l.sender.MarkRead(ctx, number, messageID, typing)
}

// buildInbox loads the inbox file and builds the agents' inbox over the store's history.
func buildInbox(cfg *config.Config, client redis.UniversalClient, late *lateDeps, st *store.Redis,
	router *routing.Router, reg *numbers.Registry, clk clock.Clock, log *slog.Logger) (*inbox.Inbox, error) {
	icfg, err := inbox.LoadConfig(cfg.InboxFile)
	if err != nil {
		return nil, err
	}
	return inbox.New(inbox.Options{
		Config:   icfg,
		Redis:    client,
		Prefix:   store.DefaultPrefix + ":inbox",
		Engine:   late,
		History:  st,
		Router:   router,
		MarkRead: late,
		NumberName: func(id chat.NumberID) string {
			n, _ := reg.Lookup(id)
			return n.Display
		},
		Clock:  clk,
		Logger: log,
	})
}

// inboxQueueWarnings names the queues the flows hand off to that the inbox file lacks (no
// agent would ever see those conversations) and, when the flows declare settings.queues,
// the inbox's queues they do not declare (their SLA then counts every hour).
func inboxQueueWarnings(set *flows.Set, icfg *inbox.Config) []string {
	var out []string
	seen := map[string]bool{}
	check := func(queue, where string) {
		if _, ok := icfg.Queue(queue); ok || seen[queue] {
			return
		}
		seen[queue] = true
		out = append(out, fmt.Sprintf("%s hands off to queue %q, which %s does not list: no agent will see those conversations", where, queue, icfg.File))
	}
	for _, name := range slices.Sorted(maps.Keys(set.Flows)) {
		for _, st := range set.Flows[name].Steps {
			if st.Handoff != nil {
				check(st.Handoff.Queue, "flow "+name)
			}
		}
	}
	if q := set.Settings.ErrorHandoff; q != "" {
		check(q, "settings.error_handoff")
	}
	if set.Settings.Queues != nil {
		for _, q := range icfg.Queues {
			if set.Settings.Queues[q.Name] == nil {
				out = append(out, fmt.Sprintf("queue %q of %s is not in the flows' settings.queues: its SLA counts every hour", q.Name, icfg.File))
			}
		}
	}
	return out
}
