package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

// Tokens of testdata/inbox/inbox.yaml (which holds only their SHA-256).
const (
	saraToken = "sara-token"
	omarToken = "omar-token"
)

// chromium returns the system browser, skipping the test when it is missing, except on CI
// (CI=true), where a missing browser fails it: .ci/run installs Debian's chromium.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not installed (apt-get install -y chromium): the web inbox is not tested in a browser"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser starts a headless Chromium with a fresh profile and no network of its own
// beyond the pages the test opens; nothing is downloaded.
func browser(t *testing.T, bin string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "ar"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	return ctx
}

// runBrowser runs browser steps within the wait timeout. The browser was started by a
// first step without a timeout (a timeout on the first call would bound the browser).
func runBrowser(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		shotCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if png, serr := chromedp.Run(shotCtx, chromedp.CaptureScreenshot()); serr == nil {
			_ = os.WriteFile(filepath.Join(t.ArtifactDir(), "failure.png"), png, 0o644)
			if d := os.Getenv("INBOX_SHOTS"); d != "" {
				_ = os.WriteFile(filepath.Join(d, "failure.png"), png, 0o644)
			}
		}
		t.Fatalf("browser: %s: %v (the page at that moment: failure.png)", what, err)
	}
}

// browserValue runs one browser action that gives a value, within the wait timeout.
func browserValue[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
	return v
}

// screenshot saves the viewport as name under the test's artifact directory (kept with
// go test -artifacts), and under $INBOX_SHOTS when set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := browserValue(t, ctx, "screenshot "+name, chromedp.CaptureScreenshot())
	dirs := []string{t.ArtifactDir()}
	if d := os.Getenv("INBOX_SHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot %s in %s", name, strings.Join(dirs, " and "))
}

// replyStatus is statusWebhook for a reply (Meta's sample carries a campaign's callback
// data, which marks a campaign message: those never go through the outbox).
func replyStatus(t *testing.T, number, display, recipient, wamid, status string, at time.Time) []byte {
	t.Helper()
	root := decode(t, statusWebhook(t, number, display, recipient, wamid, status, at))
	delete(value(root)["statuses"].([]any)[0].(map[string]any), "biz_opaque_callback_data")
	return encode(t, root)
}

// apiPost calls the inbox API as the agent with token and returns the status and body.
func apiPost(t *testing.T, p *proc, token, path string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.url("/api"+path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// TestInboxInBrowser drives the web inbox in Chromium against a running wasla serve on
// real Redis: an agent signs in, sees a handed-off conversation arrive live, claims it
// (a colleague's claim then loses), answers in mixed Arabic and English, and releases
// the conversation to the bot, which answers the customer's next message again.
func TestInboxInBrowser(t *testing.T) {
	bin := chromium(t)
	rs := redistest.Start(t)
	g := newFakeGraph(t, graphTokens)
	path := writeConfig(t, rs.URL(), g.URL())
	dir := filepath.Dir(path)
	for src, dst := range map[string]string{"testdata/inbox/inbox.yaml": "inbox.yaml", "testdata/inbox/agent.yaml": "flows/agent.yaml"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("inbox: inbox.yaml\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := serve(t, path)
	st, err := store.New(rs.Client(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}

	ctx := browser(t, bin)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.url("/inbox?lang=ar"))); err != nil {
		t.Fatalf("browser: opening /inbox: %v", err)
	}
	runBrowser(t, ctx, "sign in",
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), saraToken),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("app")),
		chromedp.WaitVisible(chromedp.CSS("#live.on")),
	)

	// An earlier conversation, whose customer wrote 25 hours ago: its window is closed.
	const other, customer = "966507654321", "966501112233"
	p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: other, name: "Sam Carter", id: "wamid.other1", text: "agent please", at: time.Now().Add(-25 * time.Hour)}))
	runBrowser(t, ctx, "the first conversation arrives live",
		chromedp.WaitVisible(chromedp.CSS(`.conv[data-contact="`+other+`"]`)))

	// The customer asks for a person; the hand-off shows without a reload.
	p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: customer, name: "أحمد الحسن", id: "wamid.b1", text: "أريد التحدث إلى موظف"}))
	row := `.conv[data-contact="` + customer + `"]`
	runBrowser(t, ctx, "the hand-off arrives live", chromedp.WaitVisible(chromedp.CSS(row)))
	rowText := browserValue(t, ctx, "read the row", chromedp.Text(chromedp.CSS(row)))
	if !strings.Contains(rowText, "أحمد الحسن") || !strings.Contains(rowText, "المبيعات") {
		t.Errorf("the row reads %q; want the customer's name and queue", rowText)
	}
	// The queue's SLA (15m first response) counts down in Arabic-Indic digits, like every
	// number of the Arabic page.
	due := browserValue(t, ctx, "read the deadline", chromedp.Text(chromedp.CSS(row+" .deadline")))
	if !strings.ContainsAny(due, "٠١٢٣٤٥٦٧٨٩") || strings.ContainsAny(due, "0123456789") {
		t.Errorf("the deadline reads %q; want Arabic-Indic digits only", due)
	}
	screenshot(t, ctx, "inbox-list.png")

	runBrowser(t, ctx, "open and claim",
		chromedp.Click(chromedp.CSS(row)),
		chromedp.WaitVisible(chromedp.ID("claim")),
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitNotVisible(chromedp.ID("claim")),
	)

	// A colleague's claim, a moment later, loses.
	code, body := apiPost(t, p, omarToken, "/conversations/"+customer+"/claim")
	if code != http.StatusConflict || body["claimed_by"] != "sara" {
		t.Errorf("omar's claim answered %d %v; want 409 claimed by sara", code, body)
	}

	const reply = "أهلاً أحمد! طلبك رقم 4521 في الطريق — your order ships today."
	runBrowser(t, ctx, "reply",
		chromedp.WaitEnabled(chromedp.ID("reply-text")),
		chromedp.SendKeys(chromedp.ID("reply-text"), reply),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.CSS(".msg.agent")),
	)
	got := waitSent(t, g, 1, func(s sent) bool { return replies(customer)(s) && s.Text == reply })
	if got[0].Number != inboxID {
		t.Errorf("the reply left from %s, want the inbox number %s", got[0].Number, inboxID)
	}

	// Meta's status webhooks move the reply's ticks in the open thread, without a reload:
	// ✓ when sent, ✓✓ when delivered, blue ✓✓ when read. The bot's hand-off message, which Meta then
	// reports failed, shows a red mark with Meta's reason in Arabic, its code in the tooltip.
	agentTicks := `document.querySelector('#messages .msg.agent .ticks')`
	browserValue(t, ctx, "the reply shows a delivery mark",
		chromedp.Poll[bool](agentTicks+` !== null`, chromedp.WithPollingTimeout(waitTimeout)))
	// Meta's answer is recorded before its statuses come, as in life (a status that
	// overtakes it is merged by the sender, and shows at the next change or reload).
	eventually(t, "the reply recorded as sent", func() bool {
		states, err := st.DeliveryStates(context.Background(), customer)
		if err != nil {
			return false
		}
		for _, d := range states {
			if d.Wamid == got[0].ID {
				return true
			}
		}
		return false
	})
	p.mustPost(replyStatus(t, inboxID, inboxDisplay, customer, got[0].ID, "sent", time.Now()))
	browserValue(t, ctx, "the reply turns sent",
		chromedp.Poll[bool](agentTicks+`?.dataset.state === "sent" && `+agentTicks+`.querySelectorAll("path").length === 1`,
			chromedp.WithPollingTimeout(waitTimeout)))
	p.mustPost(replyStatus(t, inboxID, inboxDisplay, customer, got[0].ID, "delivered", time.Now()))
	browserValue(t, ctx, "the reply turns delivered",
		chromedp.Poll[bool](agentTicks+`?.dataset.state === "delivered" && `+agentTicks+`.querySelectorAll("path").length === 2`,
			chromedp.WithPollingTimeout(waitTimeout)))
	screenshot(t, ctx, "inbox-ticks-delivered.png")
	p.mustPost(replyStatus(t, inboxID, inboxDisplay, customer, got[0].ID, "read", time.Now()))
	browserValue(t, ctx, "the reply turns read, in blue",
		chromedp.Poll[bool](agentTicks+`?.dataset.state === "read" && getComputedStyle(`+agentTicks+`).color === "rgb(30, 136, 229)"`,
			chromedp.WithPollingTimeout(waitTimeout)))
	botReplies := g.Sent(func(s sent) bool { return replies(customer)(s) && s.Text != reply })
	if len(botReplies) == 0 {
		t.Fatal("the bot sent the customer nothing before the hand-off")
	}
	p.mustPost(replyStatus(t, inboxID, inboxDisplay, customer, botReplies[0].ID, "failed", time.Now()))
	failed := `document.querySelector('#messages .msg.bot .ticks.failed')`
	browserValue(t, ctx, "the bot's message turns failed, with the reason in Arabic",
		chromedp.Poll[bool](failed+`?.textContent.includes("24 ساعة") && `+failed+`.title.includes("131047") && `+failed+`.title.includes("window_closed")`,
			chromedp.WithPollingTimeout(waitTimeout)))
	if state := browserValue(t, ctx, "the reply's state after the failure of another", chromedp.Evaluate[string](agentTicks+`.dataset.state`)); state != "read" {
		t.Errorf("the agent's reply shows %q after the bot's message failed, want read", state)
	}
	screenshot(t, ctx, "inbox-ticks-ar.png")

	// The customer answers: the message shows in the open thread without a reload.
	p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: customer, name: "أحمد الحسن", id: "wamid.b2", text: "شكراً! When exactly? متى يصل؟"}))
	browserValue(t, ctx, "the customer's answer arrives live",
		chromedp.Poll[bool](`document.querySelectorAll('#messages .msg.in').length >= 2`, chromedp.WithPollingTimeout(waitTimeout)))
	runBrowser(t, ctx, "add a note",
		chromedp.SendKeys(chromedp.ID("note-text"), "عميل دائم — VIP, prefers Arabic"),
		chromedp.Click(chromedp.ID("add-note")),
		chromedp.WaitVisible(chromedp.CSS(".msg.note")),
	)
	screenshot(t, ctx, "inbox-thread-ar.png")
	runBrowser(t, ctx, "phone width",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.WaitVisible(chromedp.ID("back")),
	)
	screenshot(t, ctx, "inbox-thread-phone.png")
	runBrowser(t, ctx, "desktop width", chromedp.EmulateViewport(1280, 860))

	// Sam's window is closed: the reply box offers only the queue's templates.
	runBrowser(t, ctx, "a conversation outside the window",
		chromedp.Click(chromedp.CSS(`.conv[data-contact="`+other+`"]`)),
		chromedp.WaitVisible(chromedp.ID("claim")),
		chromedp.Click(chromedp.ID("claim")),
		chromedp.WaitVisible(chromedp.ID("template-form")),
		chromedp.WaitNotVisible(chromedp.ID("reply-form")),
		chromedp.WaitEnabled(chromedp.ID("send-template")),
	)
	screenshot(t, ctx, "inbox-window-closed.png")
	// The bot's hand-off message to Sam already went as the window template.
	isTemplate := func(s sent) bool { return replies(other)(s) && s.Template == "follow_up" }
	sentBefore := len(g.Sent(isTemplate))
	runBrowser(t, ctx, "send the template", chromedp.Click(chromedp.ID("send-template")))
	tpl := waitSent(t, g, sentBefore+1, isTemplate)
	if tpl[len(tpl)-1].Number != inboxID {
		t.Errorf("the template left from %s, want the inbox number", tpl[0].Number)
	}
	runBrowser(t, ctx, "back to Ahmed, under mine",
		chromedp.Click(chromedp.CSS(`[data-view="mine"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversations:not([aria-busy]) .conv[data-contact="`+customer+`"]`)),
		chromedp.Click(chromedp.CSS(`#conversations:not([aria-busy]) .conv[data-contact="`+customer+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(".msg.note")),
	)
	// The list previews Sam's template in the interface's language, not the API's English.
	browserValue(t, ctx, "the template's preview in Arabic",
		chromedp.Poll[bool](`[...document.querySelectorAll('.conv[data-contact="`+other+`"] .preview')].some(e => e.textContent === "[القالب follow_up]")`, chromedp.WithPollingTimeout(waitTimeout)))

	runBrowser(t, ctx, "release to the bot",
		chromedp.Click(chromedp.ID("release")),
		chromedp.WaitVisible(chromedp.CSS(`#release[disabled]`)),
	)
	eventually(t, "the contact back in bot mode", func() bool {
		s, err := st.Load(context.Background(), customer)
		return err == nil && s.Session.Mode != engine.ModeHuman
	})
	// The bot answers the next message again.
	before := len(g.Sent(replies(customer)))
	p.mustPost(textWebhook(t, inbound{number: inboxID, display: inboxDisplay, from: customer, name: "أحمد الحسن", id: "wamid.b3", text: "hello"}))
	waitSent(t, g, before+2, replies(customer)) // the hello flow: a greeting and its buttons

	// In English the failed message shows Meta's own title; the closed thread keeps the
	// states it reached.
	runBrowser(t, ctx, "the closed thread in English",
		chromedp.Navigate(p.url("/inbox?lang=en")),
		chromedp.WaitVisible(chromedp.ID("app")),
		chromedp.Click(chromedp.CSS(`[data-view="closed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversations:not([aria-busy]) .conv[data-contact="`+customer+`"]`)),
		chromedp.Click(chromedp.CSS(`#conversations:not([aria-busy]) .conv[data-contact="`+customer+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(".msg.bot .ticks.failed")),
	)
	if text := browserValue(t, ctx, "the failure in English", chromedp.Text(chromedp.CSS(".msg.bot .ticks.failed"))); !strings.Contains(text, "Re-engagement message") {
		t.Errorf("the failed message reads %q in English, want Meta's title", text)
	}
	if state := browserValue(t, ctx, "the reply's state after a reload", chromedp.Evaluate[string](agentTicks+`.dataset.state`)); state != "read" {
		t.Errorf("the agent's reply shows %q after a reload, want read", state)
	}
	screenshot(t, ctx, "inbox-ticks-en.png")
}
