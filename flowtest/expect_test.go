package flowtest

import (
	"regexp"
	"testing"

	"github.com/wasla/wasla/chat"
)

func TestCheckBot(t *testing.T) {
	buttons := chat.Outbound{Kind: chat.KindButtons, Text: "اختر من القائمة", Buttons: []chat.Button{
		{ID: "PRICES", Title: "الأسعار"}, {ID: "ORDER", Title: "Order status"},
	}}
	list := chat.Outbound{Kind: chat.KindList, Text: "Days", Sections: []chat.Section{{Rows: []chat.Row{{ID: "a", Title: "Sun"}, {ID: "b", Title: "Mon"}}}}}
	text := chat.Outbound{Kind: chat.KindText, Text: "طلبك 123456: في الطريق إليك"}
	image := chat.Outbound{Kind: chat.KindImage, Media: &chat.Media{URL: "https://x.example/a.jpg", Caption: "menu"}}
	tmpl := chat.Outbound{Kind: chat.KindTemplate, Template: &chat.Template{Name: "reminder", Language: "ar"}}
	tests := []struct {
		name string
		want BotExpect
		got  chat.Outbound
		fail string // "" means the expectation holds
	}{
		{"exact", BotExpect{HasText: true, Match: TextExact, Text: "طلبك 123456: في الطريق إليك"}, text, ""},
		{"exact differs", BotExpect{HasText: true, Match: TextExact, Text: "طلبك 123457: في الطريق إليك"}, text, `the text differs at character 11: want '7', got '6'`},
		{"exact too short", BotExpect{HasText: true, Match: TextExact, Text: "طلبك"}, text, "the text differs: got 23 characters more after character 4"},
		{"exact too long", BotExpect{HasText: true, Match: TextExact, Text: text.Text + "!"}, text, "the text differs: it stops after character 27, 1 character short"},
		{"contains", BotExpect{HasText: true, Match: TextContains, Text: "في الطريق"}, text, ""},
		{"contains missing", BotExpect{HasText: true, Match: TextContains, Text: "تم التسليم"}, text, `the text does not contain "تم التسليم"`},
		{"regex", BotExpect{HasText: true, Match: TextRegex, Text: `^طلبك \d+`, Regex: regexp.MustCompile(`^طلبك \d+`)}, text, ""},
		{"regex fails", BotExpect{HasText: true, Match: TextRegex, Text: `^\d+$`, Regex: regexp.MustCompile(`^\d+$`)}, text, `the text does not match "^\\d+$"`},
		{"buttons", BotExpect{Buttons: []string{"الأسعار", "Order status"}}, buttons, ""},
		{"buttons and body text", BotExpect{HasText: true, Match: TextExact, Text: "اختر من القائمة", Buttons: []string{"الأسعار", "Order status"}}, buttons, ""},
		{"button title differs", BotExpect{Buttons: []string{"الأسعار", "Status"}}, buttons, `button 2 is "Order status", want "Status"`},
		{"button count differs", BotExpect{Buttons: []string{"الأسعار"}}, buttons, "want 1 buttons, got 2"},
		{"buttons on text", BotExpect{Buttons: []string{"A"}}, text, "want a buttons message, got a text message"},
		{"list", BotExpect{List: []string{"Sun", "Mon"}}, list, ""},
		{"list row differs", BotExpect{List: []string{"Sun", "Tue"}}, list, `row 2 is "Mon", want "Tue"`},
		{"template", BotExpect{Template: "reminder"}, tmpl, ""},
		{"template name differs", BotExpect{Template: "welcome"}, tmpl, `want template "welcome", got template "reminder"`},
		{"template on text", BotExpect{Template: "welcome"}, text, `want template "welcome", got a text message`},
		{"media", BotExpect{Media: chat.KindImage}, image, ""},
		{"media caption", BotExpect{HasText: true, Match: TextExact, Text: "menu", Media: chat.KindImage}, image, ""},
		{"media kind differs", BotExpect{Media: chat.KindVideo}, image, "want a video message, got a image message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkBot(&tt.want, tt.got); got != tt.fail {
				t.Errorf("checkBot() = %q, want %q", got, tt.fail)
			}
		})
	}
}

func TestSameValue(t *testing.T) {
	tests := []struct {
		name      string
		want, got any
		same      bool
	}{
		{"strings", "123456", "123456", true},
		{"yaml int and stored float", 3, 3.0, true},
		{"number and its text", 3, "3", true},
		{"bool", true, true, true},
		{"bool and text", true, "true", true},
		{"different strings", "a", "b", false},
		{"map", map[string]any{"status": "ok"}, map[string]any{"status": "ok"}, true},
		{"map differs", map[string]any{"status": "ok"}, map[string]any{"status": "late"}, false},
		{"list", []any{1, 2}, []any{1.0, 2.0}, true},
		{"list and text", []any{1}, "[1]", false},
		{"nil and empty", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameValue(tt.want, tt.got); got != tt.same {
				t.Errorf("sameValue(%#v, %#v) = %t, want %t", tt.want, tt.got, got, tt.same)
			}
		})
	}
}

func TestRenderExpect(t *testing.T) {
	b := &BotExpect{HasText: true, Match: TextContains, Text: "رقم", Buttons: []string{"A", "B"}}
	want := "contains \"رقم\"\n[1] A\n[2] B"
	if got := renderExpect(b); got != want {
		t.Errorf("renderExpect() = %q, want %q", got, want)
	}
}
