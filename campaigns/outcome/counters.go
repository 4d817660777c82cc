package outcome

import (
	"sort"
	"strconv"
	"strings"
)

// Counter field names: the audience ledger's settle script writes sent, delivered, read,
// failed:<code>, failed_after_sent, unknown, unknown_resolved, unknown_resent and cost;
// the scheduler writes queued; reply routing writes replied and the opt-out hook
// opted_out. One place names them so that writers and readers agree.
const (
	FieldQueued          = "queued"
	FieldSent            = "sent"
	FieldDelivered       = "delivered"
	FieldRead            = "read"
	FieldReplied         = "replied"
	FieldOptedOut        = "opted_out"
	FieldFailedPrefix    = "failed:"
	FieldFailedAfterSent = "failed_after_sent"
	FieldUnknown         = "unknown"
	FieldUnknownResolved = "unknown_resolved"
	FieldUnknownResent   = "unknown_resent"
	FieldCost            = "cost"
	// FieldOptedOutAfterSend counts contacts who opted out after the campaign reached
	// them (audience.Redis.OptOut), for the stop-loss.
	FieldOptedOutAfterSend = "opted_out_after_send"
)

// Counters are one (campaign, number)'s outcomes.
type Counters struct {
	Queued    int64 `json:"queued"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Read      int64 `json:"read"`
	Replied   int64 `json:"replied"`
	OptedOut  int64 `json:"opted_out"`
	// Failed counts failures by Meta's error code; a 131049 retried later counts here
	// too, once per failed attempt.
	Failed map[int]int64 `json:"failed,omitempty"`
	// FailedAfterSent counts sends Meta accepted and later reported failed.
	FailedAfterSent int64 `json:"failed_after_sent"`
	// Unknown counts attempts whose outcome is not known yet (a replica died waiting for
	// the answer); UnknownResolved those a status webhook settled, UnknownResent those
	// sent again after the grace period.
	Unknown         int64 `json:"unknown"`
	UnknownResolved int64 `json:"unknown_resolved"`
	UnknownResent   int64 `json:"unknown_resent"`
	// Cost is in millionths of the rate table's currency.
	Cost int64 `json:"cost"`
	// OptedOutAfterSend counts contacts who opted out after the campaign reached them.
	OptedOutAfterSend int64 `json:"opted_out_after_send,omitempty"`
}

// FromFields reads counters from their stored fields; unknown fields are ignored, so an
// older reader survives a newer writer.
func FromFields(m map[string]int64) Counters {
	c := Counters{
		Queued: m[FieldQueued], Sent: m[FieldSent], Delivered: m[FieldDelivered], Read: m[FieldRead],
		Replied: m[FieldReplied], OptedOut: m[FieldOptedOut], FailedAfterSent: m[FieldFailedAfterSent],
		Unknown: m[FieldUnknown], UnknownResolved: m[FieldUnknownResolved], UnknownResent: m[FieldUnknownResent],
		Cost: m[FieldCost], OptedOutAfterSend: m[FieldOptedOutAfterSend],
	}
	for k, v := range m {
		if rest, ok := strings.CutPrefix(k, FieldFailedPrefix); ok {
			if code, err := strconv.Atoi(rest); err == nil {
				if c.Failed == nil {
					c.Failed = map[int]int64{}
				}
				c.Failed[code] += v
			}
		}
	}
	return c
}

// Add adds o to c: the campaign's total over its numbers.
func (c *Counters) Add(o Counters) {
	c.Queued += o.Queued
	c.Sent += o.Sent
	c.Delivered += o.Delivered
	c.Read += o.Read
	c.Replied += o.Replied
	c.OptedOut += o.OptedOut
	c.FailedAfterSent += o.FailedAfterSent
	c.Unknown += o.Unknown
	c.UnknownResolved += o.UnknownResolved
	c.UnknownResent += o.UnknownResent
	c.Cost += o.Cost
	c.OptedOutAfterSend += o.OptedOutAfterSend
	for code, n := range o.Failed {
		if c.Failed == nil {
			c.Failed = map[int]int64{}
		}
		c.Failed[code] += n
	}
}

// FailedTotal returns all failures.
func (c Counters) FailedTotal() int64 {
	var n int64
	for _, v := range c.Failed {
		n += v
	}
	return n
}

// QualityFailures returns the failures that are quality signals (QualitySignal).
func (c Counters) QualityFailures() int64 {
	var n int64
	for code, v := range c.Failed {
		if QualitySignal(code) {
			n += v
		}
	}
	return n
}

// FailedCodes returns the failure codes in ascending order, for stable output.
func (c Counters) FailedCodes() []int {
	codes := make([]int, 0, len(c.Failed))
	for code := range c.Failed {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	return codes
}
