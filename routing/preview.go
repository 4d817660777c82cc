package routing

import (
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// Preview is Route without its observer: the agents' inbox asks it, on a copy of the
// contact's state, which number a reply would leave from before the agent sends, and a
// question must not count as a refusal or an invitation in the metrics.
func (r *Router) Preview(now time.Time, st *contact.State, msg *chat.Outbound) (bool, string) {
	quiet := *r
	quiet.obs = nil
	return quiet.Route(now, st, msg)
}
