package whatsapp

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzLenientString: the escape-free fast path of lenientString decodes every JSON string
// exactly as encoding/json does.
func FuzzLenientString(f *testing.F) {
	for _, s := range []string{`"plain"`, `"with \"escape\""`, `"\u0645\u0631\u062d\u0628\u0627"`, `"مرحبا"`, "\"\xff\"", `""`, `"a\\b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) || len(b) == 0 || b[0] != '"' {
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Skip()
		}
		var got lenientString
		if err := got.UnmarshalJSON(b); err != nil || got.s != want {
			t.Fatalf("lenientString(%q) = %q, %v; encoding/json gives %q", b, got.s, err, want)
		}
	})
}

func TestUnixTime(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{`"1749416383"`, time.Unix(1749416383, 0).UTC()},
		{`1749416383`, time.Unix(1749416383, 0).UTC()},
		{`"1749416383000"`, time.Time{}}, // milliseconds: not a time Meta sends
		{`"-5"`, time.Time{}},
		{`"0"`, time.Time{}},
		{`"12a"`, time.Time{}},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
		{`"99999999999999999999"`, time.Time{}},
	} {
		var u unixTime
		if err := u.UnmarshalJSON([]byte(tt.in)); err != nil || !u.t.Equal(tt.want) {
			t.Errorf("unixTime(%s) = %v, %v; want %v", tt.in, u.t, err, tt.want)
		}
	}
}
