package flows

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/yamlfile"
)

// dump prints a loaded value compactly and deterministically: zero fields are left out,
// templates and expressions print their source and place, maps print in key order.
func dump(b *strings.Builder, v reflect.Value, indent string) {
	switch x := v.Interface().(type) {
	case *expr.Template:
		if x == nil {
			b.WriteString("nil")
		} else {
			fmt.Fprintf(b, "template %q @%d:%d", x.Source, x.Pos.Line, x.Pos.Col)
		}
		return
	case *expr.Expr:
		if x == nil {
			b.WriteString("nil")
		} else {
			fmt.Fprintf(b, "expr %q @%d:%d", x.Source, x.Pos.Line, x.Pos.Col)
		}
		return
	case *regexp.Regexp:
		fmt.Fprintf(b, "regexp %q", x.String())
		return
	case *time.Location:
		b.WriteString(x.String())
		return
	case time.Duration:
		b.WriteString(x.String())
		return
	case Pos:
		fmt.Fprintf(b, "%s:%d:%d", x.File, x.Line, x.Col)
		return
	case Target:
		fmt.Fprintf(b, "%s.%s", x.Flow, x.Step)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		dump(b, v.Elem(), indent)
	case reflect.Struct:
		b.WriteString("{")
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			if !t.Field(i).IsExported() || f.IsZero() {
				continue
			}
			b.WriteString("\n" + indent + "  " + t.Field(i).Name + ": ")
			dump(b, f, indent+"  ")
		}
		b.WriteString("\n" + indent + "}")
	case reflect.Slice:
		b.WriteString("[")
		for i := range v.Len() {
			b.WriteString("\n" + indent + "  - ")
			dump(b, v.Index(i), indent+"    ")
		}
		b.WriteString("\n" + indent + "]")
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		b.WriteString("{")
		for _, k := range keys {
			fmt.Fprintf(b, "\n%s  %s: ", indent, k.String())
			dump(b, v.MapIndex(k), indent+"  ")
		}
		b.WriteString("\n" + indent + "}")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	default:
		fmt.Fprint(b, v.Interface())
	}
}

// TestLoadGoodSet loads a set that uses every trigger and step kind and compares the whole
// model with testdata/good.golden.
func TestLoadGoodSet(t *testing.T) {
	set, diags := Load("testdata/good")
	if len(diags) > 0 {
		t.Fatalf("want no diagnostics, got:\n%s", diags.Error())
	}
	var b strings.Builder
	dump(&b, reflect.ValueOf(set), "")
	b.WriteString("\n")
	const golden = "testdata/good.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("the loaded set differs from %s (run with -update to accept):\n%s", golden, b.String())
	}
}

// TestLoadGoodSetSemantics spells out the rules the golden file holds, so that a careless
// -update cannot hide a regression in them.
func TestLoadGoodSetSemantics(t *testing.T) {
	set, diags := Load("testdata/good")
	if set == nil {
		t.Fatalf("set did not load:\n%s", diags.Error())
	}
	// Triggers: priority first (trigger over flow), then file order, then position.
	var order []string
	for _, tr := range set.Triggers {
		order = append(order, fmt.Sprintf("%s/%s/%d", tr.Flow, tr.Kind, tr.Priority))
	}
	want := []string{
		"main_menu/keywords/20", "order_status/regex/10", "main_menu/keywords/5", "main_menu/fallback/5",
		"order_status/reply/0", "order_status/reply/0", "order_status/when/0", "order_status/campaign/0",
	}
	if !slices.Equal(order, want) {
		t.Errorf("trigger order = %v\nwant %v", order, want)
	}
	if got := set.Triggers[2].Keywords; !slices.Equal(got, []string{"hello", "مرحبا", "السلام عليكم"}) {
		t.Errorf("keywords = %q", got)
	}

	menu := set.Flows["main_menu"]
	s, _, ok := menu.Step("buttons_choice")
	if !ok || !s.Buttons.Await || s.Buttons.MaxRetries != 2 || s.Buttons.Timeout != 24*time.Hour {
		t.Errorf("buttons_choice = %+v", s)
	}
	if got := s.Buttons.Choices[2].Goto; got != (Target{Flow: "main_menu", Step: "agent"}) {
		t.Errorf("step target = %+v", got)
	}
	if got := s.Buttons.Choices[0].Goto; got != (Target{Flow: "order_status"}) {
		t.Errorf("flow target = %+v", got)
	}
	if s, _, _ := menu.Step("prices"); len(s.List.Sections) != 2 || !s.List.Await {
		t.Errorf("prices = %+v", s.List)
	}

	order2 := set.Flows["order_status"]
	ask := order2.Steps[0].Ask
	if ask.MaxRetries != 3 || ask.OnFail != (Target{Flow: "main_menu", Step: "agent"}) || ask.Timeout != 30*time.Minute {
		t.Errorf("ask = %+v", ask)
	}
	if h := order2.Steps[1].HTTP; h.Method != "GET" || h.Timeout != 2*time.Second {
		t.Errorf("http = %+v", h)
	}
	if got := order2.Steps[7].Tag.Remove; !slices.Equal(got, []string{"lead"}) || !strings.HasPrefix(order2.Steps[7].ID, "untag_") {
		t.Errorf("untag = %+v", order2.Steps[7])
	}
	if sw := order2.Steps[2].Switch; sw.Cases[1].Value != "في الطريق" {
		t.Errorf("switch = %+v", sw)
	}

	// A body mapping renders as JSON, with values quoted and typed.
	body := set.Flows["feedback"].Steps[0].HTTP
	if body.Timeout != 10*time.Second {
		t.Errorf("http timeout = %v, want the settings' 10s", body.Timeout)
	}
	out, err := body.Body.Render(&expr.Env{Vars: map[string]any{"order_no": `12"3`}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("body %s is not JSON: %v", out, err)
	}
	if got["order"] != `12"3` || got["note"] != `order 12"3 done` || got["count"] != 1.0 || got["ok"] != true {
		t.Errorf("body = %v", got)
	}

	st := set.Settings
	if st.Timezone.String() != "Asia/Riyadh" || st.RestartFlow != "main_menu" || st.MaxSteps != 100 ||
		!slices.Equal(st.RestartWords, []string{"menu", "القايمه"}) || !slices.Equal(st.OptOutWords, []string{"stop", "الغاء"}) ||
		st.BurstWindow != 2*time.Second || st.HTTPTimeout != 10*time.Second {
		t.Errorf("settings = %+v", st)
	}
}

func TestSettingsDefaults(t *testing.T) {
	set, diags := Parse("f.yaml", []byte("flow: f\nsteps:\n  - http: {get: 'https://x'}\n"))
	if set == nil {
		t.Fatal(diags.Error())
	}
	st := set.Settings
	if st.Timezone != time.UTC || st.RestartFlow != "" || st.MaxSteps != 100 || st.HTTPTimeout != 5*time.Second ||
		!slices.Equal(st.RestartWords, []string{"menu", "القايمه"}) || !slices.Equal(st.OptOutWords, []string{"stop", "الغاء"}) {
		t.Errorf("defaults = %+v", st)
	}
	if got := set.Flows["f"].Steps[0].HTTP.Timeout; got != 5*time.Second {
		t.Errorf("http step timeout = %v, want the default 5s", got)
	}
}

func TestLoadFS(t *testing.T) {
	fsys := fstest.MapFS{
		"flows/a.yaml":          {Data: []byte("flow: a\nsteps:\n  - goto: b\n")},
		"flows/sub/b.yml":       {Data: []byte("flow: b\nsteps:\n  - end: true\n")},
		"flows/a.test.yaml":     {Data: []byte("test: not a flow\n")},
		"flows/notes.txt":       {Data: []byte("not yaml")},
		"other/lonely.test.yml": {Data: []byte("test: x\n")},
	}
	set, diags := LoadFS(fsys, "flows")
	if set == nil || len(set.Flows) != 2 {
		t.Fatalf("LoadFS: %v\n%s", set, diags.Error())
	}
	_, diags = LoadFS(fsys, "missing", "other")
	want := "missing: reading flows: file does not exist\nother: no flow files (*.yaml, *.yml) in this folder"
	if diags.Error() != want {
		t.Errorf("diagnostics =\n%s\nwant\n%s", diags.Error(), want)
	}
}

func TestDiagnosticsFormat(t *testing.T) {
	d := Diagnostics{
		{Pos: Pos{File: "a.yaml", Line: 3, Col: 5}, Level: LevelError, Message: "bad", Snippet: "  - x\n    ^"},
		{Pos: Pos{File: "a.yaml", Line: 4, Col: 1}, Level: LevelWarning, Message: "meh"},
	}
	if got := d.Error(); got != "a.yaml:3:5: bad\na.yaml:4:1: warning: meh" {
		t.Errorf("Error() = %q", got)
	}
	var b strings.Builder
	if err := d.Print(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "a.yaml:3:5: bad\n      - x\n        ^\na.yaml:4:1: warning: meh\n" {
		t.Errorf("Print = %q", got)
	}
	if e, w := d.Count(); e != 1 || w != 1 || !d.HasErrors() || d.Err() == nil {
		t.Errorf("Count = %d, %d", e, w)
	}
	if d[1:].HasErrors() || d[1:].Err() != nil {
		t.Errorf("a warning alone is not an error")
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"30s", 30 * time.Second, false},
		{"1d", 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"2h30m", 150 * time.Minute, false},
		{"", 0, true},
		{"d", 0, true},
		{"1.5d", 0, true},
		{"-1d", 0, true},
		{"+5m", 0, true},
		{"5", 0, true},
		{"1d-5m", 0, true},
		{"36501d", 0, true},
	}
	for _, tt := range tests {
		got, err := yamlfile.ParseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("yamlfile.ParseDuration(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"options", "title", "timeout", "on_timeout", "next", "id"}
	tests := map[string]string{
		"optons": "options", "titel": "title", "Timeout": "timeout", "on_timout": "on_timeout",
		"nxt": "next", "zzz": "", "identifier": "",
	}
	for in, want := range tests {
		if got := yamlfile.Suggest(in, keys); got != want {
			t.Errorf("yamlfile.Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
