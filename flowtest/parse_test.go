package flowtest

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/yamlfile"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestParseFileDiagnostics checks the diagnostics of broken test files word for word
// against testdata/parse/*.golden.
func TestParseFileDiagnostics(t *testing.T) {
	for _, name := range []string{"bad", "syntax", "colon"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "parse", name+".test.yaml")
			_, diags := ReadFile(path)
			for _, d := range diags {
				if !d.Code.Valid() || d.Code == yamlfile.CodeInvalid {
					t.Errorf("%s has code %q; every test-file diagnostic names its kind", d, d.Code)
				}
			}
			var b strings.Builder
			if err := diags.Print(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "parse", name+".golden"), b.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestParseFileGood(t *testing.T) {
	tests, diags := ReadFile(filepath.Join("testdata", "parse", "good.test.yaml"))
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%v", diags)
	}
	if len(tests) != 3 {
		t.Fatalf("got %d tests, want 3", len(tests))
	}
	var agent []string
	for _, s := range tests[2].Steps {
		if s.Kind.IsAgent() {
			agent = append(agent, fmt.Sprintf("%s(%s)", s.Kind, s.Text))
		}
	}
	if got, want := strings.Join(agent, " "), "agent_claim(sara) agent(مرحباً، معك سارة) agent_release(menu.welcome) agent_release()"; got != want {
		t.Errorf("agent steps\n got %s\nwant %s", got, want)
	}
	first := tests[0]
	if first.Name != "order found, Arabic digits" || first.Pos.Line != 1 {
		t.Errorf("name %q at line %d", first.Name, first.Pos.Line)
	}
	wantContact := Contact{ID: "966500000009", Name: "Sara", Language: "ar", Tags: []string{"vip"}}
	if !reflect.DeepEqual(first.Contact, wantContact) {
		t.Errorf("contact = %+v, want %+v", first.Contact, wantContact)
	}
	if first.Number != "shop-number" || first.Campaign != "ramadan_offer" {
		t.Errorf("number %q campaign %q", first.Number, first.Campaign)
	}
	if !reflect.DeepEqual(first.Vars, map[string]any{"city": "Riyadh", "qty": 2}) {
		t.Errorf("vars = %#v", first.Vars)
	}
	if want := time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC); !first.Start.Equal(want) {
		t.Errorf("start = %v, want %v", first.Start, want)
	}

	mocks := map[string]Mock{}
	for _, m := range first.Mocks {
		m.Pos.File = ""
		mocks[m.Method+" "+m.URL] = *m
	}
	wantMocks := map[string]Mock{
		"GET https://shop.example/api/orders/123456": {Method: "GET", URL: "https://shop.example/api/orders/123456", Status: 200, Body: []byte(`{"status_ar":"في الطريق إليك"}`), JSON: true},
		"POST https://shop.example/api/x":            {Method: "POST", URL: "https://shop.example/api/x", Status: 500},
		"GET https://slow.example/":                  {Method: "GET", URL: "https://slow.example/", Status: 200, Error: "timeout"},
		"GET https://text.example/":                  {Method: "GET", URL: "https://text.example/", Status: 200, Body: []byte("plain words")},
	}
	for key, want := range wantMocks {
		got := mocks[key]
		got.Pos = want.Pos
		if !reflect.DeepEqual(got, want) {
			t.Errorf("mock %s = %+v (body %s), want %+v (body %s)", key, got, got.Body, want, want.Body)
		}
	}

	kinds := make([]string, len(first.Steps))
	for i, s := range first.Steps {
		kinds[i] = string(s.Kind)
	}
	wantKinds := "user press choose media media location bot bot bot bot bot bot bot no_reply vars tags no_tags handoff handoff opted_out time user"
	if got := strings.Join(kinds, " "); got != wantKinds {
		t.Errorf("step kinds\n got %s\nwant %s", got, wantKinds)
	}
	st := first.Steps
	checks := []struct {
		name string
		ok   bool
	}{
		{"user text", st[0].Text == "طلبي" && st[0].Pos.Line == 13 && st[0].Pos.Col == 5},
		{"press", st[1].Text == "ORDER_STATUS"},
		{"media kind", st[3].MediaKind == chat.KindImage && st[3].Text == ""},
		{"media with caption", st[4].MediaKind == chat.KindDocument && st[4].Text == "my receipt"},
		{"location", st[5].Location == chat.Location{Latitude: 24.7, Longitude: 46.7}},
		{"exact", st[6].Bot.HasText && st[6].Bot.Match == TextExact && st[6].Bot.Text == "exact text"},
		{"contains", st[7].Bot.Match == TextContains && st[7].Bot.Text == "رقم طلبك"},
		{"regex keeps backslashes", st[8].Bot.Match == TextRegex && st[8].Bot.Text == `^طلبك \d+` && st[8].Bot.Regex.MatchString("طلبك 12")},
		{"buttons", reflect.DeepEqual(st[9].Bot.Buttons, []string{"الأسعار", "Prices"}) && !st[9].Bot.HasText},
		{"text and list", st[10].Bot.Match == TextContains && st[10].Bot.Text == "x" && len(st[10].Bot.List) == 2},
		{"template", st[11].Bot.Template == "reminder"},
		{"media expectation", st[12].Bot.Media == chat.KindImage},
		{"vars", len(st[14].Vars) == 1 && st[14].Vars[0].Name == "order_no" && st[14].Vars[0].Value == "123456"},
		{"single tag", reflect.DeepEqual(st[16].Tags, []string{"lead"})},
		{"handoff queue", st[17].Human && st[17].Queue == "sales"},
		{"handoff false", !st[18].Human && st[18].Queue == ""},
		{"opted out", st[19].OptedOut},
		{"time", st[20].Advance == 25*time.Hour},
		{"number as text", st[21].Text == "123456"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not parsed as expected", c.name)
		}
	}

	def := tests[1]
	if def.Contact.ID != DefaultContact || def.Number != DefaultNumber || !def.Start.Equal(DefaultStart) {
		t.Errorf("defaults not applied: %+v", def)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"+25h", 25 * time.Hour, false},
		{"30m", 30 * time.Minute, false},
		{"2d", 48 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"+1d30m", 24*time.Hour + 30*time.Minute, false},
		{"90s", 90 * time.Second, false},
		{"0s", 0, true},
		{"-5m", 0, true},
		{"soon", 0, true},
		{"", 0, true},
		{"3", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func FuzzParseFile(f *testing.F) {
	for _, name := range []string{"good", "bad", "syntax"} {
		data, err := os.ReadFile(filepath.Join("testdata", "parse", name+".test.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tests, diags := ParseFile("fuzz.test.yaml", data)
		if len(diags) == 0 {
			for _, tt := range tests {
				if tt.Name == "" {
					t.Errorf("a test without a name parsed without diagnostics")
				}
			}
		}
		for _, d := range diags {
			if d.Pos.Line < 1 {
				t.Errorf("diagnostic without a line: %v", d)
			}
		}
	})
}

func FuzzParseMocks(f *testing.F) {
	for _, seed := range []string{
		"mocks:\n  \"GET https://shop.example/api/orders/1\": { status: ok }\n",
		"mocks:\n  \"POST https://x.example/\": { $status: 503 }\n  \"GET https://x.example/t\": { $error: timeout }\n",
		"moks: {}\n",
		"mocks: [1, 2]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mocks, diags := ParseMocks("fuzz.mocks.yaml", data)
		if len(diags) == 0 {
			for _, m := range mocks {
				if m.Method == "" || m.URL == "" {
					t.Errorf("a mock without method or URL parsed without diagnostics: %+v", m)
				}
			}
		}
		for _, d := range diags {
			if d.Pos.Line < 1 {
				t.Errorf("diagnostic without a line: %v", d)
			}
		}
	})
}
