package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wasla/wasla/campaigns/health"
	"github.com/wasla/wasla/campaigns/pacing"
	"github.com/wasla/wasla/internal/redistest"
	"github.com/wasla/wasla/store"
)

const numbersAdminToken = "e2e-admin-token"

// TestNumbersPageInBrowser opens the admin numbers page of a running wasla serve on real
// redis-server in headless Chromium: a wrong token is refused, the admin token shows one
// row per number with the health policy's state, Meta's quality and the day's sends, in
// Arabic (right to left) and in English, at desktop and phone widths. Screenshots are
// saved under the test's artifacts (and $INBOX_SHOTS).
func TestNumbersPageInBrowser(t *testing.T) {
	bin := chromium(t)
	rs := redistest.Start(t)
	g := newFakeGraph(t, graphTokens)
	path := writeConfig(t, rs.URL(), g.URL())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("admin:\n  token: " + numbersAdminToken + "\nhealth:\n  interval: 0\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// The deployment as a day of campaigns leaves it.
	ctx := context.Background()
	client := rs.Client(t)
	hs := health.NewRedisStore(client, store.DefaultPrefix)
	today := time.Now().UTC().Format(time.DateOnly)
	for sig, n := range map[health.Signal]int{health.Sent: 1200, health.Delivered: 1150, health.Read: 700, health.Replied: 90, health.OptOut: 9, health.SpamLimit: 6} {
		if err := hs.Add(ctx, holdID, today, sig, n); err != nil {
			t.Fatal(err)
		}
	}
	// The standings are the real policy's, with their reason codes.
	slowed, _ := health.DefaultPolicy().Evaluate(health.NewStanding(), health.Score{Value: 62}, health.MetaStatus{}, today)
	if slowed.State != health.Slowed || slowed.Allowance != 0.65 || slowed.ReasonCode == "" {
		t.Fatalf("the policy gives a score of 62 %+v; want slowed to 65%% with a reason code", slowed)
	}
	if err := hs.SetStanding(ctx, holdID, slowed); err != nil {
		t.Fatal(err)
	}
	if err := hs.SetMeta(ctx, linkID, health.MetaStatus{Rating: health.Red, Limit: "TIER_10K", Throughput: "STANDARD", Checked: time.Now()}); err != nil {
		t.Fatal(err)
	}
	stopped, _ := health.DefaultPolicy().Evaluate(health.NewStanding(), health.Score{Value: 90}, health.MetaStatus{Rating: health.Red}, today)
	if err := hs.SetStanding(ctx, linkID, stopped); err != nil {
		t.Fatal(err)
	}
	if err := hs.SetMeta(ctx, inboxID, health.MetaStatus{Rating: health.Green, Limit: "TIER_10K", Throughput: "STANDARD", Checked: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := pacing.NewRedisState(client, store.DefaultPrefix).Save(ctx, holdID, pacing.Warmup{Step: 3, Day: today}); err != nil {
		t.Fatal(err)
	}

	p := serve(t, path)
	bctx := browser(t, bin)
	if err := chromedp.Do(bctx, chromedp.Navigate(p.url("/admin/numbers?lang=ar"))); err != nil {
		t.Fatalf("browser: opening /admin/numbers: %v", err)
	}
	runBrowser(t, bctx, "a wrong token is refused",
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), "not-the-token"),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("signin-error")),
	)
	runBrowser(t, bctx, "sign in",
		chromedp.SendKeys(chromedp.ID("token"), numbersAdminToken),
		chromedp.Click(chromedp.ID("signin")),
		chromedp.WaitVisible(chromedp.ID("app")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+linkID+`"]`)),
	)
	dir := browserValue(t, bctx, "the page's direction", chromedp.Evaluate[string](`getComputedStyle(document.body).direction`))
	if dir != "rtl" {
		t.Errorf("the Arabic page lays out %s", dir)
	}
	hold := browserValue(t, bctx, "the slowed number's row", chromedp.Text(chromedp.CSS(`tr[data-number="`+holdID+`"]`)))
	link := browserValue(t, bctx, "the stopped number's row", chromedp.Text(chromedp.CSS(`tr[data-number="`+linkID+`"]`)))
	for _, want := range []string{holdDisplay, "مُبطّأ", "يرسل ٦٥٪ من حصته اليومية: صحته ٦٢ تحت ٨٠", "١٬٢٠٠", "أُرسلت", "حملات"} {
		if !strings.Contains(hold, want) {
			t.Errorf("the slowed row reads %q; want %q in it", hold, want)
		}
	}
	for _, want := range []string{"متوقف", "تقييم Meta أحمر", "أحمر", "TIER_10K"} {
		if !strings.Contains(link, want) {
			t.Errorf("the stopped row reads %q; want %q in it", link, want)
		}
	}
	for _, english := range []string{"is under", "allowance", "Meta rates"} {
		if strings.Contains(hold+link, english) {
			t.Errorf("the Arabic rows read %q and %q: the policy's English reason %q is in them", hold, link, english)
		}
	}
	// The phone number reads left to right inside the Arabic row: its "+" is left of its
	// last digits on the screen.
	order := browserValue(t, bctx, "the display number's order", chromedp.Evaluate[bool](`(() => {
		const b = document.querySelector('tr[data-number="`+holdID+`"] .name bdi');
		const r = document.createRange(), x = (i) => { r.setStart(b.firstChild, i); r.setEnd(b.firstChild, i + 1); return r.getBoundingClientRect().left; };
		return x(0) < x(b.textContent.length - 1);
	})()`))
	if !order {
		t.Error("the display number is laid out right to left in the Arabic page")
	}
	summary := browserValue(t, bctx, "the summary", chromedp.Text(chromedp.ID("summary")))
	if !strings.Contains(summary, "٠ من ٢") {
		t.Errorf("summary %q; want none of the two campaign numbers healthy", summary)
	}
	screenshot(t, bctx, "numbers-ar.png")
	runBrowser(t, bctx, "phone width",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulatePortrait),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+holdID+`"]`)),
	)
	// On a phone every number is a card whose cells are as wide as the screen allows.
	width := browserValue(t, bctx, "the table's width", chromedp.Evaluate[float64](`document.getElementById("numbers").getBoundingClientRect().width`))
	if width > 390 {
		t.Errorf("the table is %.0f px wide on a 390 px screen", width)
	}
	screenshot(t, bctx, "numbers-phone-ar.png")
	runBrowser(t, bctx, "English, desktop",
		chromedp.EmulateViewport(1280, 860),
		chromedp.Navigate(p.url("/admin/numbers?lang=en")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+holdID+`"]`)),
	)
	hold = browserValue(t, bctx, "the slowed number's row", chromedp.Text(chromedp.CSS(`tr[data-number="`+holdID+`"]`)))
	if !strings.Contains(hold, "Slowed") || !strings.Contains(hold, "1,200 sent") || !strings.Contains(hold, "65%") {
		t.Errorf("the English row reads %q", hold)
	}
	screenshot(t, bctx, "numbers-en.png")
	if logs := p.logs.String(); strings.Contains(logs, numbersAdminToken) {
		t.Error("the admin token reached the log")
	}
}
