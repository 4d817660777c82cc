package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wasla/wasla/channels/whatsapp"
)

// sample reads a published webhook sample kept by the whatsapp package.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "channels", "whatsapp", "testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode turns a sample into a tree to adjust.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t *testing.T, m map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// value returns entry[0].changes[0].value of a webhook tree.
func value(m map[string]any) map[string]any {
	entry := m["entry"].([]any)[0].(map[string]any)
	change := entry["changes"].([]any)[0].(map[string]any)
	return change["value"].(map[string]any)
}

// inbound is one message a test contact sends.
type inbound struct {
	number  string // phone number id it is sent to
	display string
	from    string // wa_id
	name    string
	id      string // wamid
	text    string
	at      time.Time
}

// textWebhook adjusts Meta's text sample (text.json) to one message of m: the receiving
// number, the sender, the wamid, the body and the time.
func textWebhook(t *testing.T, ms ...inbound) []byte {
	t.Helper()
	root := decode(t, sample(t, "text.json"))
	v := value(root)
	proto := v["messages"].([]any)[0].(map[string]any)
	var contacts, messages []any
	for _, m := range ms {
		v["metadata"] = map[string]any{"display_phone_number": digits(m.display), "phone_number_id": m.number}
		contacts = append(contacts, map[string]any{"profile": map[string]any{"name": m.name}, "wa_id": m.from})
		msg := map[string]any{}
		for k, x := range proto {
			msg[k] = x
		}
		at := m.at
		if at.IsZero() {
			at = time.Now()
		}
		msg["from"] = m.from
		msg["id"] = m.id
		msg["timestamp"] = strconv.FormatInt(at.Unix(), 10)
		msg["text"] = map[string]any{"body": m.text}
		messages = append(messages, msg)
	}
	v["contacts"] = contacts
	v["messages"] = messages
	return encode(t, root)
}

// statusWebhook adjusts Meta's status samples: status (sent, delivered, read, failed) of
// message wamid sent by number to recipient.
func statusWebhook(t *testing.T, number, display, recipient, wamid, status string, at time.Time) []byte {
	t.Helper()
	name := "status_sent.json"
	if status == "failed" {
		name = "status_failed.json"
	}
	root := decode(t, sample(t, name))
	v := value(root)
	v["metadata"] = map[string]any{"display_phone_number": digits(display), "phone_number_id": number}
	st := v["statuses"].([]any)[0].(map[string]any)
	st["id"] = wamid
	st["status"] = status
	st["recipient_id"] = recipient
	st["timestamp"] = strconv.FormatInt(at.Unix(), 10)
	v["statuses"] = []any{st}
	return encode(t, root)
}

// statusOf is one status of a statusesWebhook.
type statusOf struct {
	recipient, wamid, status string
	callback                 string // biz_opaque_callback_data, "" for none
}

// statusesWebhook is one POST holding every status of sts for messages sent by number,
// as Meta batches them.
func statusesWebhook(t *testing.T, number, display string, sts []statusOf, at time.Time) []byte {
	t.Helper()
	var root map[string]any
	var all []any
	for _, s := range sts {
		r := decode(t, statusWebhook(t, number, display, s.recipient, s.wamid, s.status, at))
		st := value(r)["statuses"].([]any)[0].(map[string]any)
		delete(st, "biz_opaque_callback_data")
		if s.callback != "" {
			st["biz_opaque_callback_data"] = s.callback
		}
		all = append(all, st)
		if root == nil {
			root = r
		}
	}
	value(root)["statuses"] = all
	return encode(t, root)
}

// banWebhook is Meta's account_update sample reduced to its DISABLED_UPDATE change, for
// the WhatsApp Business Account waba: the account is disabled (banned).
func banWebhook(t *testing.T, waba string, at time.Time) []byte {
	t.Helper()
	root := decode(t, sample(t, "account_update.json"))
	entry := root["entry"].([]any)[0].(map[string]any)
	entry["id"] = waba
	entry["time"] = at.Unix()
	var keep []any
	for _, c := range entry["changes"].([]any) {
		v := c.(map[string]any)["value"].(map[string]any)
		if v["event"] == "DISABLED_UPDATE" {
			keep = append(keep, c)
		}
	}
	if len(keep) != 1 {
		t.Fatalf("account_update sample has %d DISABLED_UPDATE changes", len(keep))
	}
	entry["changes"] = keep
	return encode(t, root)
}

func digits(s string) string {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func whatsappSign(b []byte) string { return whatsapp.Sign(appSecret, b) }
