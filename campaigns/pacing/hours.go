package pacing

import (
	"fmt"
	"time"

	"github.com/wasla/wasla/flows/expr"
)

const minutesPerWeek = 7 * 24 * 60

// Hours are the sending hours, held in the contact's time zone. The weekly spec is read
// once into a table of minutes to wait from each minute of the week, so that Next costs
// the same whatever the spec, for a live campaign and for a simulation of a million
// contacts alike. Hours is immutable and safe for concurrent use; a nil *Hours allows any
// time.
type Hours struct {
	spec string
	// wait[m] is the minutes from minute m of the week (Sunday 00:00 is 0) to the next
	// allowed minute; 0 when m is allowed.
	wait [minutesPerWeek]int32
}

// ParseHours reads a sending-hours spec in the syntax of expr.ParseHours; "" gives nil:
// any time.
func ParseHours(spec string) (*Hours, error) {
	if spec == "" {
		return nil, nil
	}
	fh, err := expr.ParseHours(spec)
	if err != nil {
		return nil, fmt.Errorf("sending hours: %w", err)
	}
	h := &Hours{spec: spec}
	// A reference week in UTC starting on a Sunday (4 January 2026), so that minute m of
	// the week is a wall-clock time flows' Hours can judge.
	ref := time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC)
	open := make([]bool, minutesPerWeek)
	any := false
	for m := range open {
		open[m] = fh.Open(ref.Add(time.Duration(m) * time.Minute))
		any = any || open[m]
	}
	if !any {
		return nil, fmt.Errorf("sending hours %q allow no time at all", spec)
	}
	// Walk backwards twice around the week, so the wait wraps past Saturday night.
	next := int32(-1)
	for i := 2*minutesPerWeek - 1; i >= 0; i-- {
		m := i % minutesPerWeek
		if open[m] {
			next = int32(i)
		}
		if next >= 0 && i < minutesPerWeek {
			h.wait[m] = next - int32(i)
		}
	}
	return h, nil
}

// String returns the spec.
func (h *Hours) String() string {
	if h == nil {
		return ""
	}
	return h.spec
}

// Next returns the first moment at or after t that lies within the hours in zone loc:
// t itself when it is allowed. Across a daylight-saving change the answer is checked and
// moved on, so it is never inside a closed hour.
func (h *Hours) Next(t time.Time, loc *time.Location) time.Time {
	if h == nil {
		return t
	}
	for range 3 {
		local := t.In(loc)
		m := int(local.Weekday())*24*60 + local.Hour()*60 + local.Minute()
		w := h.wait[m]
		if w == 0 {
			return t
		}
		// Jump to the start of the allowed minute in wall-clock terms, so a clock change
		// on the way does not shift it by an hour.
		t = time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute()+int(w), 0, 0, loc)
	}
	return t
}
