package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// Previewer says which number a reply would leave from, without sending it or counting
// anything; *routing.Router implements it. It may change st, so it is given a copy.
type Previewer interface {
	Preview(now time.Time, st *engine.State, msg *chat.Outbound) (ok bool, reason string)
}

// ReplyInfo is what the composer shows before the agent sends: whether a free-form
// message can go, from which number, until when, and what it costs; outside the window
// only the queue's templates are offered.
type ReplyInfo struct {
	WindowOpen   bool          `json:"window_open"`
	WindowCloses time.Time     `json:"window_closes,omitzero"`
	From         chat.NumberID `json:"from,omitempty"`
	FromName     string        `json:"from_name,omitempty"` // the number as people know it
	// TemplatesOnly is set when a free-form message cannot go out as it is.
	TemplatesOnly bool `json:"templates_only"`
	// Reason says why, in the routing layer's words.
	Reason   string `json:"reason,omitempty"`
	Billable bool   `json:"billable"`
	Billing  string `json:"billing"`
	// BillingKind names Billing for translation: free_window, service, template_required,
	// utility_free, utility, marketing or authentication.
	BillingKind string          `json:"billing_kind"`
	Templates   []TemplateOffer `json:"templates"`
	Canned      []Canned        `json:"canned"`
}

// TemplateOffer is a template the agent may send, with its parameters filled in and its
// cost.
type TemplateOffer struct {
	Template
	From        chat.NumberID `json:"from,omitempty"`
	Billable    bool          `json:"billable"`
	Billing     string        `json:"billing"`
	BillingKind string        `json:"billing_kind"`
}

// serviceBilledFrom is when Meta began to bill free-form service replies and utility
// templates inside the window (WHATSAPP-2026.md, A1).
var serviceBilledFrom = time.Date(2026, time.October, 1, 0, 0, 0, 0, time.UTC)

// cost is whether a message is billed, how to say so, and a name for the saying.
type cost struct {
	billable   bool
	text, kind string
}

// billing says whether a message is billed and how to say so: a free-form reply (category
// "") or a template of category, sent inside the window or not.
func billing(now time.Time, category string, windowOpen bool) cost {
	service := !now.Before(serviceBilledFrom)
	switch category {
	case "":
		if service {
			return cost{true, "billed: service message", "service"}
		}
		return cost{false, "free: inside the 24-hour window", "free_window"}
	case "utility":
		if windowOpen && !service {
			return cost{false, "free: utility template inside the 24-hour window", "utility_free"}
		}
		return cost{true, "billed: utility template", "utility"}
	}
	return cost{true, "billed: " + category + " template", category}
}

// replyInfo works out the composer's choices for the conversation as agent a sees it.
func (ib *Inbox) replyInfo(ctx context.Context, a *Agent, c *Conversation) (*ReplyInfo, error) {
	st, err := ib.eng.State(ctx, c.Contact)
	if err != nil {
		return nil, fmt.Errorf("reading contact state: %w", err)
	}
	now := ib.clock.Now()
	info := &ReplyInfo{Canned: []Canned{}, Templates: []TemplateOffer{}}
	text := ib.preview(now, st, chat.Outbound{Kind: chat.KindText, Text: "…"})
	switch {
	case !text.ok:
		info.TemplatesOnly, info.Reason = true, text.reason
	case text.msg.Kind != chat.KindText:
		info.TemplatesOnly, info.Reason = true, "the 24-hour window is closed: a free-form message would be replaced by a template"
	default:
		info.From, info.FromName = text.msg.From, ib.numberName(text.msg.From)
		if at, ok := st.Contact.Windows[info.From]; ok && now.Before(at.Add(chat.ServiceWindow)) {
			info.WindowOpen, info.WindowCloses = true, at.Add(chat.ServiceWindow)
		}
	}
	if info.TemplatesOnly {
		info.Billable, info.Billing, info.BillingKind = true, "a template is required (billed)", "template_required"
	} else {
		c := billing(now, "", info.WindowOpen)
		info.Billable, info.Billing, info.BillingKind = c.billable, c.text, c.kind
	}
	q, _ := ib.cfg.Queue(c.Queue)
	if q == nil {
		return info, nil
	}
	fill := placeholders(c, a)
	for _, cn := range q.Canned {
		info.Canned = append(info.Canned, Canned{Shortcut: cn.Shortcut, Text: fill.Replace(cn.Text)})
	}
	for _, t := range q.Templates {
		off := TemplateOffer{Template: t}
		off.Params = make([]string, len(t.Params))
		for i, p := range t.Params {
			off.Params[i] = fill.Replace(p)
		}
		off.Preview = fill.Replace(t.Preview)
		if pv := ib.preview(now, st, templateOutbound(off.Template)); pv.ok {
			off.From = pv.msg.From
		}
		c := billing(now, t.Category, info.WindowOpen)
		off.Billable, off.Billing, off.BillingKind = c.billable, c.text, c.kind
		info.Templates = append(info.Templates, off)
	}
	return info, nil
}

func placeholders(c *Conversation, a *Agent) *strings.Replacer {
	name := c.Name
	if name == "" {
		name = string(c.Contact)
	}
	return strings.NewReplacer("{{contact_name}}", name, "{{agent_name}}", a.Name, "{{queue}}", c.Queue)
}

func templateOutbound(t Template) chat.Outbound {
	return chat.Outbound{Kind: chat.KindTemplate, Template: &chat.Template{Name: t.Name, Language: t.Language, Params: t.Params}}
}

type previewed struct {
	ok     bool
	reason string
	msg    chat.Outbound
}

// preview asks the router about msg on a deep copy of st: the router records its
// decisions in the state, and a question must change nothing.
func (ib *Inbox) preview(now time.Time, st *engine.State, msg chat.Outbound) previewed {
	msg.To = st.Contact.ID
	msg.From = st.Contact.LastNumber
	if ib.router == nil {
		// Without a router a reply leaves from the number the contact last wrote to.
		switch at, ok := st.Contact.Windows[msg.From]; {
		case msg.From == "":
			return previewed{reason: "the contact has not written to any number", msg: msg}
		case msg.Kind != chat.KindTemplate && (!ok || !now.Before(at.Add(chat.ServiceWindow))):
			return previewed{reason: ErrWindowClosed.Error(), msg: msg}
		}
		return previewed{ok: true, msg: msg}
	}
	var cp engine.State
	b, err := json.Marshal(st)
	if err == nil {
		err = json.Unmarshal(b, &cp)
	}
	if err != nil {
		return previewed{reason: "cannot tell: " + err.Error(), msg: msg}
	}
	ok, why := ib.router.Preview(now, &cp, &msg)
	return previewed{ok: ok, reason: why, msg: msg}
}

// ReplyRequest is an agent's message: a text, a template of the queue by name, or a
// media link with a caption.
type ReplyRequest struct {
	Text     string      `json:"text,omitempty"`
	Template string      `json:"template,omitempty"`
	Media    *chat.Media `json:"media,omitempty"`
	// MediaKind is image, document, audio or video (with Media).
	MediaKind chat.Kind `json:"media_kind,omitempty"`
}

// ReplyResult says where the reply went and what it cost.
type ReplyResult struct {
	From        chat.NumberID `json:"from,omitempty"`
	Billable    bool          `json:"billable"`
	Billing     string        `json:"billing"`
	BillingKind string        `json:"billing_kind"`
}

// Reply sends the agent's message through the engine (engine.AgentReply), after checking
// that the agent holds the conversation and that a free-form message may still go.
func (ib *Inbox) Reply(ctx context.Context, a *Agent, id chat.ContactID, req ReplyRequest) (*ReplyResult, error) {
	c, err := ib.rec.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := ownedBy(c, a); err != nil {
		return nil, err
	}
	info, err := ib.replyInfo(ctx, a, c)
	if err != nil {
		return nil, err
	}
	var msg chat.Outbound
	res := &ReplyResult{From: info.From, Billable: info.Billable, Billing: info.Billing, BillingKind: info.BillingKind}
	switch {
	case req.Template != "":
		var off *TemplateOffer
		for i := range info.Templates {
			if info.Templates[i].Name == req.Template {
				off = &info.Templates[i]
			}
		}
		if off == nil {
			return nil, fmt.Errorf("%w: queue %s offers no template %q", ErrBadRequest, c.Queue, req.Template)
		}
		msg = templateOutbound(off.Template)
		*res = ReplyResult{From: off.From, Billable: off.Billable, Billing: off.Billing, BillingKind: off.BillingKind}
	case req.Media != nil:
		if !req.MediaKind.IsMedia() || (req.Media.URL == "" && req.Media.ID == "") {
			return nil, fmt.Errorf("%w: media needs media_kind (image, document, audio, video) and a url or id", ErrBadRequest)
		}
		if info.TemplatesOnly {
			return nil, fmt.Errorf("%w (%s)", ErrWindowClosed, info.Reason)
		}
		msg = chat.Outbound{Kind: req.MediaKind, Media: req.Media}
	case strings.TrimSpace(req.Text) != "":
		if info.TemplatesOnly {
			return nil, fmt.Errorf("%w (%s)", ErrWindowClosed, info.Reason)
		}
		msg = chat.Outbound{Kind: chat.KindText, Text: req.Text}
	default:
		return nil, fmt.Errorf("%w: the reply is empty", ErrBadRequest)
	}
	if err := ib.eng.AgentReply(ctx, id, a.ID, msg); err != nil {
		return nil, fmt.Errorf("sending the reply: %w", err)
	}
	return res, nil
}

func (ib *Inbox) numberName(n chat.NumberID) string {
	if ib.numName == nil || n == "" {
		return string(n)
	}
	if name := ib.numName(n); name != "" {
		return name
	}
	return string(n)
}
