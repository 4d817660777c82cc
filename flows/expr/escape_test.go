package expr

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestRenderURLEscapesByPlace(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		vars            map[string]any
		err             error
	}{
		{"path segment", "https://shop.example/api/orders/{{ vars.no }}", "https://shop.example/api/orders/..%2Fadmin%2Fusers%3Fall=1", map[string]any{"no": "../admin/users?all=1"}, nil},
		{"query value", "https://shop.example/search?q={{ vars.q }}&lang=ar", "https://shop.example/search?q=a%26admin%3Dtrue%23x&lang=ar", map[string]any{"q": "a&admin=true#x"}, nil},
		{"arabic in the query", "https://x.example/?city={{ vars.q }}", "https://x.example/?city=%D8%AC%D8%AF%D8%A9", map[string]any{"q": "جدة"}, nil},
		{"number in the path", "https://x.example/o/{{ vars.n }}", "https://x.example/o/42", map[string]any{"n": 42}, nil},
		{"base url from settings", "{{ vars.base }}/orders/{{ vars.no }}", "https://api.example/v1/orders/7%2F8", map[string]any{"base": "https://api.example/v1", "no": "7/8"}, nil},
		{"urlencode is not escaped twice", "https://x.example/?q={{ urlencode(vars.q) }}", "https://x.example/?q=a+b%26c", map[string]any{"q": "a b&c"}, nil},
		{"host label", "https://{{ vars.t }}.shop.example/x", "https://acme.shop.example/x", map[string]any{"t": "acme"}, nil},
		{"host injection", "https://{{ vars.t }}.shop.example/x", "", map[string]any{"t": "evil.example/"}, ErrHostValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := MustTemplate(tc.src)
			got, err := tpl.RenderURL(&Env{Vars: tc.vars})
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("RenderURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderJSONKeepsCustomerTextInItsString(t *testing.T) {
	attack := `x", "admin": true, "y": "`
	for _, tc := range []struct{ name, src, want string }{
		{"inside a string", `{"name": "{{ vars.a }}", "n": 1}`, `{"name": "x\", \"admin\": true, \"y\": \"", "n": 1}`},
		{"outside a string", `{"name": {{ vars.a }}}`, `{"name": "x\", \"admin\": true, \"y\": \""}`},
		{"number outside", `{"count": {{ vars.n }}}`, `{"count": 3}`},
		{"nothing outside", `{"x": {{ vars.none }}}`, `{"x": null}`},
		{"toJSON as written", `{"x": {{ toJSON(vars.a) }}}`, `{"x": "x\", \"admin\": true, \"y\": \""}`},
		{"after an escaped quote", `{"q": "say \"{{ vars.a }}"}`, `{"q": "say \"x\", \"admin\": true, \"y\": \""}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MustTemplate(tc.src).RenderJSON(&Env{Vars: map[string]any{"a": attack, "n": 3}})
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(got), &m); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, got)
			}
			if _, injected := m["admin"]; injected {
				t.Errorf("customer text added a key: %s", got)
			}
			if got != tc.want {
				t.Errorf("RenderJSON = %s, want %s", got, tc.want)
			}
		})
	}
}
