package store

import (
	"strings"
	"testing"
	"time"

	"github.com/wasla/wasla/chat"
)

// FuzzStateRecord: any stored text parses without panicking, and a record written by
// stateRecord reads back as the state it was written from.
func FuzzStateRecord(f *testing.F) {
	f.Add("sent", "wamid.HBgM", "111", int64(1764650000000), 0, "", "")
	f.Add("failed", "", "111", int64(0), 131026, "unreachable", "Message undeliverable | مرفوض")
	f.Add("read|", "w|x", "", int64(-1), -5, "a\"b", "\x00")
	f.Fuzz(func(t *testing.T, state, wamid, number string, ms int64, code int, class, title string) {
		_, _ = parseStateRecord(state + "|" + wamid) // arbitrary text: an error or a state, never a panic
		if state == "" || strings.Contains(state, "|") {
			return // a state never holds the separator; the scripts match %a+
		}
		d := chat.Delivery{State: chat.DeliveryState(state), Wamid: wamid, Number: chat.NumberID(number),
			ErrorCode: code, ErrorClass: class, ErrorTitle: title}
		if ms > 0 && ms < 1<<50 {
			d.At = time.UnixMilli(ms).UTC()
		}
		got, err := parseStateRecord(stateRecord(d))
		if err != nil {
			t.Fatalf("stateRecord(%+v) does not parse: %v", d, err)
		}
		// JSON turns invalid UTF-8 into U+FFFD; compare what survives the encoding.
		want, _ := parseStateRecord(stateRecord(got))
		if got != want || got.State != d.State || !got.At.Equal(d.At) || got.ErrorCode != d.ErrorCode {
			t.Fatalf("round trip %+v -> %+v -> %+v", d, got, want)
		}
	})
}

// FuzzParseReplyCallback: any callback data parses without panicking, and what
// ReplyCallback writes reads back; a campaign's callback data is never taken for a reply's.
func FuzzParseReplyCallback(f *testing.F) {
	f.Add("wasla.r1|2|1772352001000-0", "1772352001000-0", 2)
	f.Add("wasla.c1|1|spring|966500000001", "1-0", 1)
	f.Add("wasla.r1|01|1-0", "x", 0)
	f.Add("wasla.r1|3|1-0|x", "1772352001000-12", 7)
	f.Fuzz(func(t *testing.T, data, entry string, attempt int) {
		if e, n, ok := ParseReplyCallback(data); ok {
			if got := ReplyCallback(e, n); got != data {
				t.Fatalf("%q parses as (%q, %d), which writes %q", data, e, n, got)
			}
		}
		if strings.HasPrefix(data, "wasla.c1|") {
			if _, _, ok := ParseReplyCallback(data); ok {
				t.Fatalf("campaign callback data %q taken for a reply's", data)
			}
		}
		if attempt < 1 || !validEntryID(entry) {
			return
		}
		e, n, ok := ParseReplyCallback(ReplyCallback(entry, attempt))
		if !ok || e != entry || n != attempt {
			t.Fatalf("ReplyCallback(%q, %d) reads back as (%q, %d, %v)", entry, attempt, e, n, ok)
		}
	})
}
