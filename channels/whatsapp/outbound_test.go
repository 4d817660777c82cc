package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/chat"
)

func indentJSON(t *testing.T, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", raw, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

func TestBuildMessageGolden(t *testing.T) {
	const to = chat.ContactID("16505551234")
	tests := []struct {
		name string
		msg  chat.Outbound
	}{
		{"text", chat.Outbound{To: to, From: "106540352242922", Kind: chat.KindText, Text: "Hi Sheena! Your order has shipped."}},
		{"text_with_link_reply", chat.Outbound{To: to, Kind: chat.KindText, Text: "Track it at https://www.luckyshrub.com/track/123",
			ReplyTo: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="}},
		{"text_html_characters", chat.Outbound{To: to, Kind: chat.KindText, Text: "Tom & Jerry <3 \"quotes\""}},
		{"text_to_bsuid", chat.Outbound{To: "US.13491208655302741918", Kind: chat.KindText, Text: "Hello again"}},
		{"buttons", chat.Outbound{To: to, Kind: chat.KindButtons, Text: "Hi Pablo! Your gardening workshop is scheduled for 9am tomorrow. Use the buttons if you need to reschedule. Thank you!",
			Buttons: []chat.Button{{ID: "change-button", Title: "Change"}, {ID: "cancel-button", Title: "Cancel"}}}},
		{"list", chat.Outbound{To: to, Kind: chat.KindList, Text: "Which shipping option do you prefer?", ListButton: "Shipping Options",
			Sections: []chat.Section{
				{Title: "I want it ASAP!", Rows: []chat.Row{
					{ID: "priority_express", Title: "Priority Mail Express", Description: "Next Day to 2 Days"},
					{ID: "priority_mail", Title: "Priority Mail", Description: "1–3 Days"},
				}},
				{Title: "I can wait a bit", Rows: []chat.Row{
					{ID: "usps_ground_advantage", Title: "USPS Ground Advantage", Description: "2–5 Days"},
					{ID: "media_mail", Title: "Media Mail", Description: "2–8 Days"},
				}},
			}}},
		{"template_body_params", chat.Outbound{To: to, Kind: chat.KindTemplate,
			Template: &chat.Template{Name: "order_confirmation", Language: "en_US", Params: []string{"Jessica", "SKBUP2-4CPIG9"}}}},
		{"template_no_params", chat.Outbound{To: to, Kind: chat.KindTemplate, Template: &chat.Template{Name: "hello_world", Language: "en_US"}}},
		{"image_by_id", chat.Outbound{To: to, Kind: chat.KindImage, Media: &chat.Media{ID: "1479537139650973", Caption: "The best succulent ever?"}}},
		{"image_by_link", chat.Outbound{To: to, Kind: chat.KindImage, Media: &chat.Media{URL: "https://www.luckyshrub.com/assets/succulents/aloe.png"}}},
		{"audio", chat.Outbound{To: to, Kind: chat.KindAudio, Media: &chat.Media{ID: "1013859600285441"}}},
		{"video", chat.Outbound{To: to, Kind: chat.KindVideo, Media: &chat.Media{URL: "https://www.luckyshrub.com/media/ringing-bell.mp4", Caption: "A succulent eclipse!"}}},
		{"document", chat.Outbound{To: to, Kind: chat.KindDocument, Media: &chat.Media{ID: "1376223850470843", Caption: "Lucky Shrub Invoice", Filename: "lucky-shrub-invoice.pdf"}}},
		{"sticker", chat.Outbound{To: to, Kind: chat.KindSticker, Media: &chat.Media{ID: "798882015472548"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := BuildMessage(tt.msg)
			if err != nil {
				t.Fatalf("BuildMessage: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", "outbound", tt.name+".golden"), indentJSON(t, raw))
		})
	}
}

func TestBuildTemplateRequestGolden(t *testing.T) {
	req, err := NewTemplateRequest("+16505551234", Template{
		Name:     "order_delivery_update",
		Language: TemplateLanguage{Code: "en_US"},
		Components: []TemplateComponent{
			{Type: "header", Parameters: []TemplateParameter{{Type: "image", Image: &MediaObject{ID: "2871834006348767"}}}},
			{Type: "body", Parameters: []TemplateParameter{
				{Type: "text", ParameterName: "first_name", Text: "Jessica"},
				{Type: "text", ParameterName: "order_number", Text: "SKBUP2-4CPIG9"},
			}},
			{Type: "button", SubType: "quick_reply", Index: "0", Parameters: []TemplateParameter{{Type: "payload", Payload: "STOP_PROMOTIONS"}}},
		},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "outbound", "template_components.golden"), indentJSON(t, raw))
}

func TestBuildMarkReadGolden(t *testing.T) {
	for name, typing := range map[string]bool{"mark_read": false, "mark_read_typing": true} {
		t.Run(name, func(t *testing.T) {
			raw, err := BuildMarkRead("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=", typing)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "outbound", name+".golden"), indentJSON(t, raw))
		})
	}
	if _, err := BuildMarkRead("", false); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("empty message id: %v", err)
	}
}

func TestBuildMessageRefuses(t *testing.T) {
	const to = chat.ContactID("16505551234")
	btn := func(n int) []chat.Button {
		var bs []chat.Button
		for i := range n {
			bs = append(bs, chat.Button{ID: string(rune('a' + i)), Title: string(rune('A' + i))})
		}
		return bs
	}
	rows := func(n int) []chat.Row {
		var rs []chat.Row
		for i := range n {
			rs = append(rs, chat.Row{ID: string(rune('a' + i)), Title: string(rune('A' + i))})
		}
		return rs
	}
	tests := []struct {
		name string
		msg  chat.Outbound
		want string
	}{
		{"no recipient", chat.Outbound{Kind: chat.KindText, Text: "x"}, "invalid outbound message: no recipient"},
		{"empty text", chat.Outbound{To: to, Kind: chat.KindText, Text: "  "}, "invalid outbound message: text body is empty"},
		{"long text", chat.Outbound{To: to, Kind: chat.KindText, Text: strings.Repeat("é", 4097)}, "invalid outbound message: text body has 4097 characters, WhatsApp allows 4096"},
		{"four buttons", chat.Outbound{To: to, Kind: chat.KindButtons, Text: "Pick", Buttons: btn(4)}, "invalid outbound message: buttons message has 4 buttons, WhatsApp allows 1 to 3"},
		{"no buttons", chat.Outbound{To: to, Kind: chat.KindButtons, Text: "Pick"}, "invalid outbound message: buttons message has 0 buttons, WhatsApp allows 1 to 3"},
		{"long button title", chat.Outbound{To: to, Kind: chat.KindButtons, Text: "Pick", Buttons: []chat.Button{{ID: "a", Title: "This title is too long!"}}}, "invalid outbound message: button 1 title has 23 characters, WhatsApp allows 20"},
		{"duplicate button title", chat.Outbound{To: to, Kind: chat.KindButtons, Text: "Pick", Buttons: []chat.Button{{ID: "a", Title: "Yes"}, {ID: "b", Title: "Yes"}}}, `invalid outbound message: button title "Yes" is used twice`},
		{"list without label", chat.Outbound{To: to, Kind: chat.KindList, Text: "Pick", Sections: []chat.Section{{Rows: rows(1)}}}, "invalid outbound message: list button label is empty"},
		{"eleven rows", chat.Outbound{To: to, Kind: chat.KindList, Text: "Pick", ListButton: "Open", Sections: []chat.Section{{Title: "A", Rows: rows(6)}, {Title: "B", Rows: []chat.Row{{ID: "x1", Title: "x"}, {ID: "x2", Title: "x"}, {ID: "x3", Title: "x"}, {ID: "x4", Title: "x"}, {ID: "x5", Title: "x"}}}}}, "invalid outbound message: list has 11 rows, WhatsApp allows 10 in all sections together"},
		{"untitled sections", chat.Outbound{To: to, Kind: chat.KindList, Text: "Pick", ListButton: "Open", Sections: []chat.Section{{Rows: rows(1)}, {Rows: []chat.Row{{ID: "z", Title: "Z"}}}}}, "invalid outbound message: list section 1 needs a title when a list has several sections"},
		{"long row description", chat.Outbound{To: to, Kind: chat.KindList, Text: "Pick", ListButton: "Open", Sections: []chat.Section{{Rows: []chat.Row{{ID: "a", Title: "A", Description: strings.Repeat("d", 73)}}}}}, "invalid outbound message: list row 1 description has 73 characters, WhatsApp allows 72"},
		{"template missing", chat.Outbound{To: to, Kind: chat.KindTemplate}, "invalid outbound message: template message without a template"},
		{"template no language", chat.Outbound{To: to, Kind: chat.KindTemplate, Template: &chat.Template{Name: "hello_world"}}, `invalid outbound message: template "hello_world" has no language code`},
		{"template empty param", chat.Outbound{To: to, Kind: chat.KindTemplate, Template: &chat.Template{Name: "t", Language: "en", Params: []string{"a", ""}}}, `invalid outbound message: template "t" body parameter 2 is empty; WhatsApp refuses empty parameters`},
		{"media missing", chat.Outbound{To: to, Kind: chat.KindImage}, "invalid outbound message: image message needs a media id or a link"},
		{"audio caption", chat.Outbound{To: to, Kind: chat.KindAudio, Media: &chat.Media{ID: "1", Caption: "listen"}}, "invalid outbound message: audio messages cannot have a caption"},
		{"image filename", chat.Outbound{To: to, Kind: chat.KindImage, Media: &chat.Media{ID: "1", Filename: "a.png"}}, "invalid outbound message: only document messages have a filename, not image"},
		{"inbound kind", chat.Outbound{To: to, Kind: chat.KindButtonReply}, `invalid outbound message: kind "button_reply" cannot be sent to WhatsApp`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildMessage(tt.msg)
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("BuildMessage error = %v, want ErrInvalidMessage", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error text\n got %q\nwant %q", err.Error(), tt.want)
			}
		})
	}
}

func TestRecipientFormat(t *testing.T) {
	tests := []struct {
		to, wantTo, wantRecipient string
	}{
		{"16505551234", "+16505551234", ""},
		{"+16505551234", "+16505551234", ""},
		{"US.13491208655302741918", "", "US.13491208655302741918"},
		{"US.ENT.11815799212886844830", "", "US.ENT.11815799212886844830"},
		{"1-650-555", "1-650-555", ""},
	}
	for _, tt := range tests {
		req, err := NewSendRequest(chat.Outbound{To: chat.ContactID(tt.to), Kind: chat.KindText, Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if req.To != tt.wantTo || req.Recipient != tt.wantRecipient {
			t.Errorf("to %q: To=%q Recipient=%q, want %q %q", tt.to, req.To, req.Recipient, tt.wantTo, tt.wantRecipient)
		}
	}
}
