package chat

import "testing"

func TestRedacted(t *testing.T) {
	for id, want := range map[ContactID]string{"966500000001": "…0001", "1234": "…1234", "12": "…12", "": "…"} {
		if got := id.Redacted(); got != want {
			t.Errorf("%q.Redacted() = %q, want %q", id, got, want)
		}
	}
}
