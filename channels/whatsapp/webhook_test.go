package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

var update = flag.Bool("update", false, "rewrite the .golden files from the current output")

// goldenEvents renders events as the golden files hold them: each event with its type.
func goldenEvents(t *testing.T, b *Batch) []byte {
	t.Helper()
	type item struct {
		Type  EventType `json:"type"`
		Event Event     `json:"event"`
	}
	out := struct {
		Object string `json:"object"`
		Events []item `json:"events"`
	}{Object: b.Object, Events: []item{}}
	for _, ev := range b.Events {
		out.Events = append(out.Events, item{ev.Type(), ev})
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatalf("marshalling events: %v", err)
	}
	return append(data, '\n')
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func webhookSamples(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no webhook samples: %v", err)
	}
	return files
}

func TestParseWebhookGolden(t *testing.T) {
	for _, file := range webhookSamples(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseWebhook(body)
			if err != nil {
				t.Fatalf("ParseWebhook: %v", err)
			}
			if len(b.Events) == 0 {
				t.Fatal("no events")
			}
			for i, ev := range b.Events {
				if len(ev.RawJSON()) == 0 || !json.Valid(ev.RawJSON()) {
					t.Errorf("event %d (%s): raw JSON missing or invalid: %q", i, ev.Type(), ev.RawJSON())
				}
			}
			checkGolden(t, strings.TrimSuffix(file, ".json")+".golden", goldenEvents(t, b))
		})
	}
}

func parseOne[T Event](t *testing.T, file string, index int) T {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "webhooks", file))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseWebhook(body)
	if err != nil {
		t.Fatalf("ParseWebhook(%s): %v", file, err)
	}
	if index >= len(b.Events) {
		t.Fatalf("%s: %d events, want more than %d", file, len(b.Events), index)
	}
	ev, ok := b.Events[index].(T)
	if !ok {
		t.Fatalf("%s: event %d is %T", file, index, b.Events[index])
	}
	return ev
}

// The golden files pin everything; these cases state the contract the rest of wasla
// relies on, so a careless -update cannot silently change it.
func TestParseWebhookInbound(t *testing.T) {
	at := func(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
	tests := []struct {
		file  string
		index int
		want  chat.Inbound
		check func(t *testing.T, m *Message)
	}{
		{file: "text.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindText,
			Text: "Does it come in another color?", At: at(1749416383),
		}},
		{file: "interactive_button_reply.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRCNUY4QzAwRDJCNjM2QjRFMQA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindButtonReply,
			Text: "Cancel", ReplyID: "cancel-button", At: at(1739321024),
			ContextID: "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
		}},
		{file: "interactive_list_reply.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTdCMjg1NDE2RjdCNzMzNTI4MQA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindListReply,
			Text: "Priority Mail Express", ReplyID: "priority_express", At: at(1739321024),
			ContextID: "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA=",
		}, check: func(t *testing.T, m *Message) {
			if m.ReplyDescription != "Next Day to 2 Days" {
				t.Errorf("ReplyDescription = %q", m.ReplyDescription)
			}
		}},
		{file: "button_quick_reply.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBYzRUIwQzcwOTlFMTJCQzJEMzAyMTk0AA==", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindButtonReply,
			Text: "Stop promotions", ReplyID: "STOP_PROMOTIONS", At: at(1739321093),
			ContextID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NzVFRkQwMzlBNEE0MkFBNDQA",
		}, check: func(t *testing.T, m *Message) {
			if !m.QuickReply {
				t.Error("QuickReply not set for a template button")
			}
		}},
		{file: "document.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTlDMDE2RjU1NjVFRTVDNjNFQQA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindDocument,
			Text: "Signed contract", At: at(1739321050),
			Media: &chat.Media{ID: "1003383421387257", MimeType: "application/pdf", Caption: "Signed contract", Filename: "lucky-shrub-contract.pdf"},
		}},
		{file: "location.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTk4RjQ5QzU0MDI5QjQzQjQzMQA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindLocation,
			Text: "Philz Coffee", At: at(1739321070),
			Location: &chat.Location{Latitude: 37.44216251868683, Longitude: -122.16153582049394, Name: "Philz Coffee", Address: "101 Forest Ave, Palo Alto, CA 94301"},
		}},
		{file: "reaction.json", index: 1, want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUI4MjdDRjNGNTFDRjE0NkMyNQA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindReaction,
			ContextID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NzVFRkQwMzlBNEE0MkFBNDQA", At: at(1739321095),
		}, check: func(t *testing.T, m *Message) {
			if m.Reaction == nil || !m.Reaction.Removed {
				t.Errorf("Reaction = %+v, want removed", m.Reaction)
			}
		}},
		{file: "text_referral_ctwa.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUI3RTU3MjM0RkE2RDhGQkRDNQA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindText,
			Text: "Hi! I'd like to know more about the summer succulent sale.", Referral: "120226305854810726", At: at(1749416501),
		}, check: func(t *testing.T, m *Message) {
			if m.Referral == nil || m.Referral.SourceURL != "https://fb.me/3cr4Wqqkv" || m.Referral.CtwaClid == "" {
				t.Errorf("Referral = %+v", m.Referral)
			}
		}},
		{file: "unsupported.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=", Contact: "16505551234",
			ProfileName: "Sheena Nelson", Number: "106540352242922", Kind: chat.KindUnsupported, At: at(1739321024),
		}, check: func(t *testing.T, m *Message) {
			if m.UnsupportedType != "poll_update" || len(m.Errors) != 1 || m.Errors[0].Code != 131051 {
				t.Errorf("UnsupportedType = %q, Errors = %+v", m.UnsupportedType, m.Errors)
			}
		}},
		{file: "bsuid_user_id.json", want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTNBODA3RUNENDU1MzQ4NkQwOQA=", Contact: "16505551234",
			UserID: "US.13491208655302741918", ProfileName: "Sheena Nelson", Number: "106540352242922",
			Kind: chat.KindText, Text: "Hi, is my order ready?", At: at(1775001600),
		}},
		{file: "bsuid_user_id.json", index: 1, want: chat.Inbound{
			ID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUE0OTRFQzVCMkE1QkRCNTQ2RgA=", Contact: "MX.1502576394655843",
			UserID: "MX.1502576394655843", ProfileName: "Pablo Morales", Number: "106540352242922",
			Kind: chat.KindText, Text: "Hola, quiero información", At: at(1775001660),
		}, check: func(t *testing.T, m *Message) {
			if m.Username != "@pablomorales" || m.ParentUserID != "MX.ENT.11815799212886844830" {
				t.Errorf("Username = %q, ParentUserID = %q", m.Username, m.ParentUserID)
			}
		}},
		{file: "multi_entry.json", index: 1, want: chat.Inbound{
			ID: "wamid.HBgMODE5MDEyMzQ1Njc4FQIAEhgUM0FCMjIyMjIyMjIyMjIyMjIyMjIA", Contact: "819012345678",
			ProfileName: "Kai Tanaka", Number: "106540352242922", Kind: chat.KindText, Text: "こんにちは", At: at(1749416601),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseOne[*Message](t, tt.file, tt.index)
			got, _ := json.Marshal(m.Inbound)
			want, _ := json.Marshal(tt.want)
			if !bytes.Equal(got, want) {
				t.Errorf("Inbound:\n got %s\nwant %s", got, want)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}

func TestParseWebhookStatusFailed(t *testing.T) {
	st := parseOne[*Status](t, "status_failed.json", 0)
	if st.Status != StatusFailed || st.Recipient != "16505551234" || st.Number != "106540352242922" {
		t.Fatalf("status = %+v", st)
	}
	if len(st.Errors) != 1 || st.Errors[0].Code != 131047 || !strings.Contains(st.Errors[0].Details, "24 hours") {
		t.Fatalf("errors = %+v", st.Errors)
	}
	if st.Errors[0].Class() != ClassWindowClosed || !errors.Is(st.Errors[0], ErrWindowClosed) {
		t.Errorf("131047 in a status is class %v, want window_closed", st.Errors[0].Class())
	}
	second := parseOne[*Status](t, "status_failed.json", 1)
	if got := second.Errors[0].Class(); got != ClassUnreachable {
		t.Errorf("131049 class = %v, want unreachable", got)
	}
}

func TestParseWebhookFieldEvents(t *testing.T) {
	q := parseOne[*QualityUpdate](t, "phone_number_quality_update.json", 0)
	if q.Event != "THROUGHPUT_UPGRADE" || q.DisplayNumber != "15550783881" || q.CurrentLimit != "TIER_UNLIMITED" || q.WABA != "102290129340398" {
		t.Errorf("quality update = %+v", q)
	}
	a := parseOne[*AccountUpdate](t, "account_update.json", 0)
	if a.Event != "ACCOUNT_RESTRICTION" || len(a.Restrictions) != 2 ||
		a.Restrictions[0].Type != "RESTRICTED_BIZ_INITIATED_MESSAGING" || !a.Restrictions[0].Expiration.Equal(time.Unix(1739925824, 0)) {
		t.Errorf("account update = %+v", a)
	}
	ban := parseOne[*AccountUpdate](t, "account_update.json", 2)
	if ban.Event != "DISABLED_UPDATE" || ban.BanState != "DISABLE" {
		t.Errorf("ban = %+v", ban)
	}
	ts := parseOne[*TemplateStatus](t, "message_template_status_update.json", 1)
	if ts.Event != "REJECTED" || ts.TemplateID != "1689556908129835" || ts.Reason != "INVALID_FORMAT" || ts.RejectionReason == "" {
		t.Errorf("template status = %+v", ts)
	}
	stop := parseOne[*UserPreference](t, "user_preferences.json", 0)
	if stop.Contact != "966501234567" || stop.Value != PreferenceStop || stop.Category != "marketing_messages" || stop.Number != "106540352242922" {
		t.Errorf("user preference = %+v", stop)
	}
	if resume := parseOne[*UserPreference](t, "user_preferences.json", 1); resume.Value != PreferenceResume {
		t.Errorf("second user preference = %+v", resume)
	}
	un := parseOne[*Unknown](t, "unknown_fields.json", 0)
	if un.Field != "history" || un.Reason == "" {
		t.Errorf("unknown = %+v", un)
	}
	bad := parseOne[*Unknown](t, "unknown_fields.json", 2)
	if bad.Field != "messages" || !strings.Contains(bad.Reason, "decoding messages value") {
		t.Errorf("malformed messages value = %+v", bad)
	}
	page := parseOne[*Unknown](t, "object_page.json", 0)
	if page.Object != "page" {
		t.Errorf("page object = %+v", page)
	}
}

// The contract the engine relies on for calls: who the contact is whichever side called,
// which calls open the window, and one id per call and event for deduplication.
func TestParseWebhookCalls(t *testing.T) {
	tests := []struct {
		index              int
		contact, name, id  string
		event, status      string
		duration           int
		fromContact        bool
		startTime, endTime int64
	}{
		{index: 0, contact: "16505551234", name: "Sheena Nelson", event: chat.CallConnect, fromContact: true,
			id: "call:wacid.HBgLMTY1MDM4Nzk0MzkVAgARGCA1RkU4QjQ2NTc1NDA0MzQ4QTE5RUQ2RTAzQTg0NjhBNBUAAA==:connect"},
		{index: 1, contact: "16505551234", name: "Sheena Nelson", event: chat.CallTerminate, status: "COMPLETED", duration: 60, fromContact: true,
			id: "call:wacid.HBgLMTY1MDM4Nzk0MzkVAgARGCA1RkU4QjQ2NTc1NDA0MzQ4QTE5RUQ2RTAzQTg0NjhBNBUAAA==:terminate", startTime: 1749416390, endTime: 1749416450},
		{index: 2, contact: "966501234567", name: "أحمد", event: chat.CallTerminate, status: "FAILED", fromContact: true,
			id: "call:wacid.HBgMOTY2NTAxMjM0NTY3FQIAERggMkRBMUY5QTNDMTdFNDBFNzk0RTA4QTMyMjJGMzNBMDEVAAA=:terminate"},
		// The business called: the contact is the callee, and the window stays as it was.
		{index: 3, contact: "16505551234", name: "Sheena Nelson", event: chat.CallTerminate, status: "COMPLETED", duration: 60, fromContact: false,
			id: "call:wacid.HBgLMTY1MDM4Nzk0MzkVAgARGCBCMkE5RjYwQTk4RjQ0QjQ0OUE3NkIwNTdCNDk5OUJGNRUAAA==:terminate", startTime: 1749416940, endTime: 1749417000},
	}
	for _, tt := range tests {
		c := parseOne[*Call](t, "calls.json", tt.index)
		in := c.Inbound
		if in.Kind != chat.KindCall || in.Call == nil || in.Number != "106540352242922" || string(in.Contact) != tt.contact ||
			in.ProfileName != tt.name || in.ID != tt.id {
			t.Errorf("call %d: inbound = %+v", tt.index, in)
			continue
		}
		if in.Call.Event != tt.event || in.Call.Status != tt.status || in.Call.Duration != tt.duration || in.Call.FromContact() != tt.fromContact {
			t.Errorf("call %d: call = %+v (from contact %v)", tt.index, in.Call, in.Call.FromContact())
		}
		if tt.startTime != 0 && (!c.StartTime.Equal(time.Unix(tt.startTime, 0)) || !c.EndTime.Equal(time.Unix(tt.endTime, 0))) {
			t.Errorf("call %d: start %v end %v", tt.index, c.StartTime, c.EndTime)
		}
	}
	if un := parseOne[*Unknown](t, "calls.json", 4); un.Field != FieldCalls || !strings.Contains(un.Reason, "call statuses") {
		t.Errorf("call statuses = %+v", un)
	}
}

func TestParseWebhookOrderAcrossEntries(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "webhooks", "multi_entry.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range b.Events {
		s := string(ev.Type())
		if m, ok := ev.(*Message); ok {
			s += ":" + string(m.Inbound.Number) + ":" + m.Inbound.Text
		}
		got = append(got, s)
	}
	want := []string{
		"message:106540352242922:First",
		"message:106540352242922:こんにちは",
		"status",
		"message:108877665544332:Yes, tell me more",
		"message_template_status_update",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events =\n%q\nwant\n%q", got, want)
	}
}

func TestParseWebhookMalformed(t *testing.T) {
	tests := map[string]string{
		"empty":           ``,
		"not json":        `<html>`,
		"truncated":       `{"object":"whatsapp_business_account","entry":[`,
		"array":           `[1,2]`,
		"entry not array": `{"object":"whatsapp_business_account","entry":"x"}`,
		"empty object":    `{}`,
		"null":            `null`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := ParseWebhook([]byte(body))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseWebhook(%q) = %+v, %v; want ErrMalformed", body, b, err)
			}
		})
	}
}

func TestParseWebhookLenientValues(t *testing.T) {
	// Numbers where Meta documents strings (and the reverse) must not lose the message.
	body := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
		"metadata":{"display_phone_number":15550783881,"phone_number_id":106540352242922},
		"contacts":[{"profile":{"name":"N"},"wa_id":16505551234}],
		"messages":[{"from":16505551234,"id":"wamid.X","timestamp":1739321024,"type":"location",
			"location":{"latitude":"1.5","longitude":"NaN"}}]}}]}]}`
	m := func() *Message {
		b, err := ParseWebhook([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return b.Events[0].(*Message)
	}()
	in := m.Inbound
	if in.Contact != "16505551234" || in.Number != "106540352242922" || !in.At.Equal(time.Unix(1739321024, 0)) {
		t.Errorf("inbound = %+v", in)
	}
	if in.Location == nil || in.Location.Latitude != 1.5 || in.Location.Longitude != 0 {
		t.Errorf("location = %+v", in.Location)
	}
}

func FuzzParseWebhook(f *testing.F) {
	for _, file := range webhookSamples(f) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := ParseWebhook(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		for _, ev := range b.Events {
			if ev == nil {
				t.Fatal("nil event")
			}
			if m, ok := ev.(*Message); ok && m.Inbound.Kind == "" {
				t.Fatalf("message without kind: %+v", m)
			}
			if c, ok := ev.(*Call); ok && (c.Inbound.Kind != chat.KindCall || c.Inbound.Call == nil || c.Inbound.ID == "") {
				t.Fatalf("call without kind, details or id: %+v", c)
			}
			if _, err := json.Marshal(ev); err != nil {
				t.Fatalf("event %T does not marshal: %v", ev, err)
			}
		}
	})
}

// FuzzParseMessagesOnlyAgrees: whenever the one-pass path of messages-only POSTs takes a
// body, it gives exactly the events, raw bytes included, of the general path.
func FuzzParseMessagesOnlyAgrees(f *testing.F) {
	taken := 0
	for _, file := range webhookSamples(f) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if _, ok := parseMessagesOnly(body); ok {
			taken++
		}
		f.Add(body)
	}
	if taken == 0 {
		f.Fatal("no sample takes the one-pass path")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := parseMessagesOnly(body)
		if !ok {
			return
		}
		general, err := parseWebhook(body)
		if err != nil {
			t.Fatalf("the one-pass path took a body the general path refuses: %v", err)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("paths disagree:\n one-pass %+v\n general  %+v", fast, general)
		}
	})
}
