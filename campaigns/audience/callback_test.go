package audience

import "testing"

func TestCallbackData(t *testing.T) {
	a := Attempt{Campaign: "ramadan-2026", Contact: "966501234567", Attempt: 2}
	s := a.CallbackData()
	if s != "wasla.c1|2|ramadan-2026|966501234567" {
		t.Fatalf("CallbackData = %q", s)
	}
	if got, ok := ParseCallbackData(s); !ok || got != a {
		t.Fatalf("ParseCallbackData(%q) = %+v, %v", s, got, ok)
	}
	for _, bad := range []string{"", "order-17", "wasla.c1|0|x|1", "wasla.c1|01|x|1", "wasla.c1|1|x", "wasla.c1|1||1", "wasla.c1|1|a:b|1", "wasla.c1|1|x|1|2"} {
		if got, ok := ParseCallbackData(bad); ok {
			t.Errorf("ParseCallbackData(%q) = %+v; want not ours", bad, got)
		}
	}
}

func FuzzParseCallbackData(f *testing.F) {
	f.Add("wasla.c1|2|ramadan|966501234567")
	f.Add("wasla.c1|1|x|")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseCallbackData(s)
		if !ok {
			return
		}
		if again, ok := ParseCallbackData(a.CallbackData()); !ok || again != a {
			t.Fatalf("%q reads as %+v, which round-trips to %+v, %v", s, a, again, ok)
		}
	})
}
