package audience

import (
	"strconv"
	"strings"

	"github.com/wasla/wasla/chat"
)

// callbackPrefix marks the callback data of campaign sends, so that a status webhook of
// any other message is told apart at once.
const callbackPrefix = "wasla.c1|"

// Attempt names one send attempt of a (campaign, contact) pair. It travels with the
// message as Meta's biz_opaque_callback_data (at most 512 characters), which Meta echoes in
// every status webhook of the message: that is how an attempt whose answer was lost (the
// replica died during the request) is still settled by its status webhooks. The contact
// travels too, because Meta may name the recipient only by its business-scoped user id.
type Attempt struct {
	Campaign string
	Contact  chat.ContactID
	Attempt  int
}

// CallbackData encodes a as callback data: "wasla.c1|<attempt>|<campaign>|<contact>".
func (a Attempt) CallbackData() string {
	return callbackPrefix + strconv.Itoa(a.Attempt) + "|" + a.Campaign + "|" + string(a.Contact)
}

// ParseCallbackData reads callback data written by CallbackData; ok is false for any
// other text (a reply's or another system's callback data).
func ParseCallbackData(s string) (a Attempt, ok bool) {
	rest, ok := strings.CutPrefix(s, callbackPrefix)
	if !ok {
		return Attempt{}, false
	}
	parts := strings.Split(rest, "|")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" || strings.ContainsAny(parts[1], "{}:") {
		return Attempt{}, false
	}
	n, err := strconv.Atoi(parts[0])
	if err != nil || n < 1 || strconv.Itoa(n) != parts[0] {
		return Attempt{}, false
	}
	return Attempt{Campaign: parts[1], Contact: chat.ContactID(parts[2]), Attempt: n}, true
}
