package contact

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

var at = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)

func contacts() map[string]Contact {
	return map[string]Contact{
		"empty":   {},
		"webhook": {ID: "966501234567", Name: "أميرة الحربي", LastNumber: "1029384756", Windows: map[chat.NumberID]time.Time{"1029384756": at}},
		"full": {
			ID: "966501234567", UserID: "SA.123", Name: "Amira", Language: "ar", Tags: []string{"vip", "customer"},
			Attrs: map[string]string{"city": "الرياض", "tier": ""}, OptedOut: true, OptedOutAt: at, LastNumber: "1",
			Windows: map[chat.NumberID]time.Time{"1": at, "2": at.Add(time.Hour), "3": {}},
			Routing: &Routing{Number: "2", Invite: &Invite{Kind: "link", From: "1", Via: "3", At: at}},
		},
		"routing without invite": {ID: "1", Routing: &Routing{}},
	}
}

func sessions() map[string]Session {
	return map[string]Session{
		"empty": {},
		"ask": {
			Flow: "order", Step: "ask_size", Vars: map[string]any{"product": "qahwa"},
			Await:   &Await{Kind: AwaitAnswer, Flow: "order", Step: "ask_size"},
			Started: at, LastInbound: at,
			Timers: []Timer{{Kind: TimerTimeout, Due: at.Add(30 * time.Minute), Flow: "order", Step: "ask_size"}},
		},
		"everything": {
			Flow: "f", Step: "s",
			Vars: map[string]any{
				"null": nil, "yes": true, "no": false, "pi": 3.14, "int": 42, "int64": int64(-7), "text": "٣ أكواب",
				"list": []any{1.0, "a", []any{}, map[string]any{"k": nil}}, "obj": map[string]any{"a": map[string]any{"b": []any{true}}},
				"strings": []string{"a", "b"}, "when": at, "struct": struct{ X int }{3}, "empty obj": map[string]any{},
			},
			Await: &Await{Kind: AwaitChoice, Flow: "f", Step: "s", Retries: 2, Fingerprint: "abc"},
			Mode:  ModeHuman, Queue: "sales", ReturnAfter: 90 * time.Minute, ReturnTo: &Frame{Flow: "sales", Step: "no_answer"},
			Stack:   []Frame{{Flow: "main", Step: "call"}, {Flow: "sub", Step: "c2"}},
			Started: at, LastInbound: at.Add(time.Second),
			Pending: []chat.Inbound{{ID: "wamid.1", Contact: "1", Number: "2", Kind: chat.KindText, Text: "hi", At: at}},
			Timers: []Timer{
				{Kind: TimerWait, Due: at, Flow: "f", Step: "w", Stack: []Frame{{Flow: "main", Step: "call"}}},
				{Kind: TimerBurst},
			},
		},
	}
}

// viaJSON is what a JSON round trip gives back: the behaviour the compact encoding keeps.
func viaJSON[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestContactEncodingRoundTrips(t *testing.T) {
	for name, c := range contacts() {
		t.Run(name, func(t *testing.T) {
			b := AppendContact(nil, &c)
			var got Contact
			if err := DecodeContact(string(b), &got); err != nil {
				t.Fatal(err)
			}
			if want := viaJSON(t, c); !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%#v\nwant what JSON gives back\n%#v", got, want)
			}
			j, _ := json.Marshal(c)
			if len(b) >= len(j) {
				t.Errorf("%d bytes encoded, JSON takes %d", len(b), len(j))
			}
		})
	}
}

func TestSessionEncodingRoundTrips(t *testing.T) {
	for name, s := range sessions() {
		t.Run(name, func(t *testing.T) {
			b, err := AppendSession(nil, &s)
			if err != nil {
				t.Fatal(err)
			}
			var got Session
			if err := DecodeSession(string(b), &got); err != nil {
				t.Fatal(err)
			}
			if want := viaJSON(t, s); !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%#v\nwant what JSON gives back\n%#v", got, want)
			}
		})
	}
}

// Contacts stored as JSON, before the compact encoding, load as they did.
func TestDecodersReadJSON(t *testing.T) {
	for name, c := range contacts() {
		j, _ := json.Marshal(c)
		var got Contact
		if err := DecodeContact(string(j), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := viaJSON(t, c); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %#v, want %#v", name, got, want)
		}
	}
	for name, s := range sessions() {
		j, _ := json.Marshal(s)
		var got Session
		if err := DecodeSession(string(j), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := viaJSON(t, s); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %#v, want %#v", name, got, want)
		}
	}
}

// Times keep their instant, whatever their zone.
func TestEncodingKeepsInstants(t *testing.T) {
	riyadh := time.FixedZone("AST", 3*3600)
	s := Session{Started: at.In(riyadh), Timers: []Timer{{Kind: TimerWait, Due: at.In(riyadh).Add(time.Nanosecond)}}}
	b, err := AppendSession(nil, &s)
	if err != nil {
		t.Fatal(err)
	}
	var got Session
	if err := DecodeSession(string(b), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Started.Equal(s.Started) || !got.Timers[0].Due.Equal(s.Timers[0].Due) {
		t.Fatalf("times %v %v, want %v %v", got.Started, got.Timers[0].Due, s.Started, s.Timers[0].Due)
	}
}

func TestEncodingRefuses(t *testing.T) {
	for _, v := range []any{make(chan int), 0.0 / zero(), []any{func() {}}} {
		if _, err := AppendSession(nil, &Session{Vars: map[string]any{"x": v}}); err == nil {
			t.Errorf("variable %T encoded; JSON refuses it", v)
		}
	}
	good := AppendContact(nil, &Contact{ID: "1", Name: "n"})
	bad := map[string]string{
		"truncated":    string(good[:len(good)-1]),
		"trailing":     string(good) + "x",
		"unknown tag":  "\x01\x7f\x00",
		"long string":  "\x01\x01\xff\x01",
		"not encoding": "\x02\x00",
		"empty":        "",
	}
	for name, data := range bad {
		var c Contact
		err := DecodeContact(data, &c)
		if err == nil {
			t.Errorf("%s: decoded %q", name, data)
		} else if !strings.Contains(err.Error(), "profile") && name != "empty" {
			t.Errorf("%s: error %q does not say what it decoded", name, err)
		}
	}
}

func zero() float64 { return 0 }

// FuzzDecodeSession: any input decodes or fails cleanly, and what decodes encodes to
// something that decodes to the same.
func FuzzDecodeSession(f *testing.F) {
	for _, s := range sessions() {
		b, _ := AppendSession(nil, &s)
		f.Add(string(b))
	}
	f.Add(`{"flow":"x"}`)
	f.Fuzz(func(t *testing.T, data string) {
		var s Session
		if err := DecodeSession(data, &s); err != nil || (len(data) > 0 && data[0] == '{') {
			return
		}
		b, err := AppendSession(nil, &s)
		if err != nil {
			t.Fatalf("re-encoding %#v: %v", s, err)
		}
		var again Session
		if err := DecodeSession(string(b), &again); err != nil {
			t.Fatalf("decoding the re-encoding: %v", err)
		}
		if !reflect.DeepEqual(viaJSON(t, s), viaJSON(t, again)) {
			t.Fatalf("%#v re-encoded as %#v", s, again)
		}
	})
}

// FuzzDecodeContact: any input decodes or fails cleanly, and what decodes round-trips.
func FuzzDecodeContact(f *testing.F) {
	for _, c := range contacts() {
		f.Add(string(AppendContact(nil, &c)))
	}
	f.Add(`{"id":"1"}`)
	f.Fuzz(func(t *testing.T, data string) {
		var c Contact
		if err := DecodeContact(data, &c); err != nil || (len(data) > 0 && data[0] == '{') {
			return
		}
		var again Contact
		if err := DecodeContact(string(AppendContact(nil, &c)), &again); err != nil {
			t.Fatalf("decoding the re-encoding: %v", err)
		}
		if !reflect.DeepEqual(viaJSON(t, c), viaJSON(t, again)) {
			t.Fatalf("%#v re-encoded as %#v", c, again)
		}
	})
}

// TestEncodingSamplesSetEveryField keeps the round-trip samples complete: a field added to
// Contact or Session without a tag in the compact encoding would be dropped by every
// commit, and the round-trip tests only see it if a sample sets it.
func TestEncodingSamplesSetEveryField(t *testing.T) {
	for name, v := range map[string]reflect.Value{
		"contacts[full]":       reflect.ValueOf(contacts()["full"]),
		"sessions[everything]": reflect.ValueOf(sessions()["everything"]),
	} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("%s leaves %s unset: set it, and give it a tag in encoding.go if it has none", name, v.Type().Field(i).Name)
			}
		}
	}
}
func inbounds() map[string]chat.Inbound {
	return map[string]chat.Inbound{
		"empty": {},
		"text":  {ID: "wamid.1", Contact: "966501234567", UserID: "SA.1", ProfileName: "أميرة", Number: "106540352242922", Kind: chat.KindText, Text: "مرحبا 👋", At: at},
		"everything": {
			ID: "wamid.2", Contact: "1", Number: "2", Kind: chat.KindImage, Text: "caption", ReplyID: "ORDER",
			Media:     &chat.Media{ID: "m1", MimeType: "image/jpeg", Caption: "c", Filename: "f.jpg"},
			Location:  &chat.Location{Latitude: 24.7, Longitude: 46.7, Name: "الرياض", Address: "a"},
			ContextID: "wamid.0", Campaign: "ramadan", Referral: "ad1", At: at,
		},
		"call": {ID: "call:wacid.1:terminate", Contact: "1", Number: "2", Kind: chat.KindCall, At: at,
			Call: &chat.Call{ID: "wacid.1", Event: chat.CallTerminate, Direction: chat.CallUserInitiated, Status: "COMPLETED", Duration: 60}},
	}
}

func TestInboundEncodingRoundTrips(t *testing.T) {
	for name, m := range inbounds() {
		t.Run(name, func(t *testing.T) {
			b, err := AppendInbound(nil, &m)
			if err != nil {
				t.Fatal(err)
			}
			var got chat.Inbound
			if err := DecodeInbound(string(b), &got); err != nil {
				t.Fatal(err)
			}
			if want := viaJSON(t, m); !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%#v\nwant\n%#v", got, want)
			}
			j, _ := json.Marshal(m)
			var fromJSON chat.Inbound
			if err := DecodeInbound(string(j), &fromJSON); err != nil || !reflect.DeepEqual(fromJSON, viaJSON(t, m)) {
				t.Fatalf("from JSON: %#v, %v", fromJSON, err)
			}
		})
	}
}

// The message codec names every field of chat.Inbound: a field added there must be added
// to the encoding too, or the intake would drop it.
func TestInboundEncodingKnowsEveryField(t *testing.T) {
	known := []string{"ID", "Contact", "UserID", "ProfileName", "Number", "Kind", "Text", "ReplyID", "Media",
		"Location", "ContextID", "Campaign", "Referral", "Call", "At"}
	typ := reflect.TypeFor[chat.Inbound]()
	var fields []string
	for i := range typ.NumField() {
		fields = append(fields, typ.Field(i).Name)
	}
	if !reflect.DeepEqual(fields, known) {
		t.Fatalf("chat.Inbound has the fields %v; the encoding knows %v: update AppendInbound and DecodeInbound", fields, known)
	}
}

// FuzzDecodeInbound: any input decodes or fails cleanly, and what decodes round-trips.
func FuzzDecodeInbound(f *testing.F) {
	for _, m := range inbounds() {
		b, _ := AppendInbound(nil, &m)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, data string) {
		var m chat.Inbound
		if err := DecodeInbound(data, &m); err != nil || (len(data) > 0 && data[0] == '{') {
			return
		}
		b, err := AppendInbound(nil, &m)
		if err != nil {
			t.Fatalf("re-encoding %#v: %v", m, err)
		}
		var again chat.Inbound
		if err := DecodeInbound(string(b), &again); err != nil {
			t.Fatalf("decoding the re-encoding: %v", err)
		}
		if !reflect.DeepEqual(viaJSON(t, m), viaJSON(t, again)) {
			t.Fatalf("%#v re-encoded as %#v", m, again)
		}
	})
}
