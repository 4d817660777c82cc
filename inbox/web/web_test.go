package web

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wasla/wasla/channels/whatsapp"
	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/routing"
)

func TestTextsHaveTheSameKeys(t *testing.T) {
	want := slices.Sorted(maps.Keys(texts[Languages[0]]))
	for _, lang := range Languages[1:] {
		if got := slices.Sorted(maps.Keys(texts[lang])); !slices.Equal(got, want) {
			t.Errorf("%s has keys %v, %s has %v", lang, got, Languages[0], want)
		}
	}
}

func TestPage(t *testing.T) {
	h := Handler()
	tests := []struct {
		name, path, acceptLang string
		wantStatus             int
		want                   []string
	}{
		{"arabic by default", "/inbox", "", 200, []string{`<html lang="ar" dir="rtl">`, "تسجيل الدخول"}},
		{"english by preference", "/inbox", "en-GB,en;q=0.9", 200, []string{`<html lang="en" dir="ltr">`, "Sign in"}},
		{"parameter wins", "/inbox/?lang=ar", "en", 200, []string{`dir="rtl"`}},
		{"unknown language", "/inbox?lang=fr", "fr", 200, []string{`lang="ar"`}},
		{"script", "/inbox/static/inbox.js", "", 200, []string{"Last-Event-ID"}},
		{"stylesheet", "/inbox/static/inbox.css", "", 200, []string{"margin-inline-start", "@media (max-width: 700px)"}},
		{"missing file", "/inbox/static/nope.js", "", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.acceptLang != "" {
				req.Header.Set("Accept-Language", tt.acceptLang)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tt.wantStatus)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("the answer lacks %q", w)
				}
			}
		})
	}
}

// The page carries no inline script: the Content-Security-Policy allows only its own files.
func TestPageHasNoInlineScript(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/inbox", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	body := rec.Body.String()
	if strings.Count(body, "<script") != 1 || !strings.Contains(body, `<script src="/inbox/static/inbox.js" defer></script>`) {
		t.Errorf("the page has scripts other than inbox.js")
	}
}

// Every delivery state and every failure class the server may send has its words, and a
// Meta code the page translates is one whose class is known, so a failed reply always
// says why in the interface's language.
func TestDeliveryTexts(t *testing.T) {
	states := []chat.DeliveryState{chat.StateQueued, chat.StateSent, chat.StateDelivered, chat.StateRead, chat.StateFailed}
	classes := []whatsapp.Class{whatsapp.ClassOther, whatsapp.ClassBackOff, whatsapp.ClassRestricted,
		whatsapp.ClassUnreachable, whatsapp.ClassWindowClosed, whatsapp.ClassTemplate}
	for _, lang := range Languages {
		for _, st := range states {
			if texts[lang]["st_"+string(st)] == "" {
				t.Errorf("%s has no text for the state %s", lang, st)
			}
		}
		for _, c := range classes {
			if texts[lang]["cls_"+c.String()] == "" {
				t.Errorf("%s has no text for the failure class %s", lang, c)
			}
		}
		for key := range texts[lang] {
			code, ok := strings.CutPrefix(key, "err_")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(code)
			if err != nil || n < 100 {
				t.Errorf("%s: %s does not name a Meta error code", lang, key)
			}
		}
	}
	if ar, en := texts["ar"]["err_131047"], texts["en"]["err_131047"]; ar == en || en != "Re-engagement message" {
		t.Errorf("131047 reads %q in Arabic and %q in English", ar, en)
	}
}

// Every refusal reason the engine writes has its words in the thread (inbox.js REFUSALS),
// so no reason shows in English inside the Arabic interface.
func TestScriptKnowsEveryRefusal(t *testing.T) {
	js, err := os.ReadFile(filepath.Join("static", "inbox.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"contact opted out", routing.ReasonWaitingInbox, routing.ReasonWaitingBridge, routing.ReasonWindowWaiting,
		routing.ReasonWindowClosed, routing.ReasonNoBridge, routing.ReasonNoNumber, routing.ReasonNoInitiation} {
		key, err := json.Marshal(reason)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(js), string(key)+": \"refused_") {
			t.Errorf("inbox.js has no words for the refusal %s", key)
		}
	}
}
