package expr

import (
	"encoding/json"
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzRenderEscaped checks that no value can leave its place: one path segment, one query
// value, one JSON string.
func FuzzRenderEscaped(f *testing.F) {
	for _, s := range []string{"42", "../admin?x=1&y=2#f", `", "admin": true, "x": "`, "جدة الجديدة", "%2F", "\\u0022"} {
		f.Add(s)
	}
	u := MustTemplate("https://shop.example/api/orders/{{ vars.v }}/items?q={{ vars.v }}&lang=ar")
	j := MustTemplate(`{"k": "{{ vars.v }}", "n": {{ vars.v }}}`)
	f.Fuzz(func(t *testing.T, v string) {
		env := &Env{Vars: map[string]any{"v": v}}
		got, err := u.RenderURL(env)
		if err != nil {
			t.Fatal(err)
		}
		p, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q: %v", got, err)
		}
		if p.Host != "shop.example" || p.Query().Get("lang") != "ar" || len(p.Query()) != 2 || p.Query().Get("q") != v {
			t.Errorf("value %q escaped its place: %s", v, got)
		}
		if seg, err := url.PathUnescape(p.EscapedPath()[len("/api/orders/") : len(p.EscapedPath())-len("/items")]); err != nil || seg != v {
			t.Errorf("path segment of %q = %q (%v)", v, seg, err)
		}
		if !utf8.ValidString(v) {
			return // JSON replaces invalid UTF-8
		}
		body, err := j.RenderJSON(env)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if len(m) != 2 || m["k"] != v || m["n"] != v {
			t.Errorf("value %q escaped its string: %s", v, body)
		}
	})
}
