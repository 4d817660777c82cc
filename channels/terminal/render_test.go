package terminal

import (
	"reflect"
	"testing"

	"github.com/wasla/wasla/chat"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name    string
		msg     chat.Outbound
		want    string
		choices int
	}{
		{
			name: "text in Arabic",
			msg:  chat.Outbound{Kind: chat.KindText, Text: "أهلاً بك في متجرنا"},
			want: "أهلاً بك في متجرنا",
		},
		{
			name: "buttons numbered from one",
			msg: chat.Outbound{Kind: chat.KindButtons, Text: "How can we help?", Buttons: []chat.Button{
				{ID: "PRICES", Title: "الأسعار"}, {ID: "ORDER", Title: "Order status"},
			}},
			want:    "How can we help?\n[1] الأسعار\n[2] Order status",
			choices: 2,
		},
		{
			name: "list rows numbered across sections",
			msg: chat.Outbound{Kind: chat.KindList, Text: "Pick a day", ListButton: "Days", Sections: []chat.Section{
				{Title: "This week", Rows: []chat.Row{{ID: "mon", Title: "Monday", Description: "9-5"}}},
				{Rows: []chat.Row{{ID: "tue", Title: "Tuesday"}}},
			}},
			want:    "Pick a day\n(Days)\nThis week:\n[1] Monday — 9-5\n[2] Tuesday",
			choices: 2,
		},
		{
			name: "template with parameters",
			msg:  chat.Outbound{Kind: chat.KindTemplate, Template: &chat.Template{Name: "reminder", Language: "ar", Params: []string{"Sara", "10:00"}}},
			want: "[template reminder (ar)] Sara | 10:00",
		},
		{
			name: "image by link with caption",
			msg:  chat.Outbound{Kind: chat.KindImage, Media: &chat.Media{URL: "https://shop.example/menu.jpg", Caption: "القائمة"}},
			want: "[image https://shop.example/menu.jpg] القائمة",
		},
		{
			name: "document by id with file name",
			msg:  chat.Outbound{Kind: chat.KindDocument, Media: &chat.Media{ID: "123", Filename: "prices.pdf"}},
			want: "[document id 123 prices.pdf]",
		},
		{
			name: "multi-line text kept",
			msg:  chat.Outbound{Kind: chat.KindText, Text: "line one\nline two"},
			want: "line one\nline two",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, choices := Format(tt.msg)
			if got != tt.want {
				t.Errorf("Format() =\n%s\nwant\n%s", got, tt.want)
			}
			if len(choices) != tt.choices {
				t.Errorf("Format() gave %d choices, want %d", len(choices), tt.choices)
			}
		})
	}
}

func TestInbound(t *testing.T) {
	choices := Choices(chat.Outbound{Kind: chat.KindButtons, Buttons: []chat.Button{
		{ID: "PRICES", Title: "الأسعار"}, {ID: "ORDER", Title: "Order status"}, {ID: "HOURS", Title: "Hours"},
	}})
	rows := Choices(chat.Outbound{Kind: chat.KindList, Sections: []chat.Section{{Rows: []chat.Row{{ID: "r1", Title: "One"}}}}})
	tests := []struct {
		name    string
		line    string
		choices []Choice
		want    chat.Inbound
	}{
		{"number", "2", choices, chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "ORDER", Text: "Order status"}},
		{"number with spaces", "  3 ", choices, chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "HOURS", Text: "Hours"}},
		{"Arabic-Indic digit", "١", choices, chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "PRICES", Text: "الأسعار"}},
		{"Persian digit", "۲", choices, chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "ORDER", Text: "Order status"}},
		{"Arabic title", "الأسعار", choices, chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "PRICES", Text: "الأسعار"}},
		{"title ignoring case", "order STATUS", choices, chat.Inbound{Kind: chat.KindButtonReply, ReplyID: "ORDER", Text: "Order status"}},
		{"list row", "1", rows, chat.Inbound{Kind: chat.KindListReply, ReplyID: "r1", Text: "One"}},
		{"number out of range is text", "4", choices, chat.Inbound{Kind: chat.KindText, Text: "4"}},
		{"zero is text", "0", choices, chat.Inbound{Kind: chat.KindText, Text: "0"}},
		{"long number is text", "123456", choices, chat.Inbound{Kind: chat.KindText, Text: "123456"}},
		{"no choices: number is text", "1", nil, chat.Inbound{Kind: chat.KindText, Text: "1"}},
		{"other text", " مرحبا ", choices, chat.Inbound{Kind: chat.KindText, Text: "مرحبا"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Inbound(tt.line, tt.choices); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Inbound(%q) = %+v, want %+v", tt.line, got, tt.want)
			}
		})
	}
}

func TestPrefix(t *testing.T) {
	got := Prefix("bot: ", "مرحبا\n\n[1] الأسعار")
	want := "bot: مرحبا\n\n     [1] الأسعار"
	if got != want {
		t.Errorf("Prefix() = %q, want %q", got, want)
	}
}
