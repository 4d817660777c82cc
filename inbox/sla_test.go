package inbox

import (
	"testing"
	"time"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/flows/schedule"
)

// TestDeadlineCountsOpenHours: SLA targets count only the queue's open hours, and the
// deadline is still the earlier of that and the moment the 24-hour window closes.
func TestDeadlineCountsOpenHours(t *testing.T) {
	riyadh, err := time.LoadLocation("Asia/Riyadh")
	if err != nil {
		t.Fatal(err)
	}
	week, err := expr.ParseHours("sun-thu 09:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	hours := &schedule.Schedule{Zone: riyadh, Week: week}
	holiday := &schedule.Schedule{Zone: riyadh, Week: week, Holidays: map[schedule.Date]bool{{Year: 2026, Month: 12, Day: 2}: true}}
	at := func(day, hh, mm int) time.Time { return time.Date(2026, 12, day, hh, mm, 0, 0, riyadh) }
	q := &Queue{FirstResponse: 30 * time.Minute, NextResponse: 2 * time.Hour}
	tests := []struct {
		name  string
		c     Conversation
		hours *schedule.Schedule
		want  *Deadline
	}{
		{"inside open hours: as plain time",
			Conversation{State: StateWaiting, Opened: at(1, 10, 0), LastInbound: at(1, 10, 0)}, hours,
			&Deadline{At: at(1, 10, 30), Kind: SLAFirstResponse}},
		{"16:55 with a 17:00 close: due 09:25 the next day",
			Conversation{State: StateWaiting, Opened: at(1, 16, 55), LastInbound: at(1, 16, 55)}, hours,
			&Deadline{At: at(2, 9, 25), Kind: SLAFirstResponse}},
		{"a holiday on the next day: the window closes first",
			Conversation{State: StateWaiting, Opened: at(1, 16, 55), LastInbound: at(1, 16, 55)}, holiday,
			&Deadline{At: at(2, 16, 55), Kind: SLAWindow}},
		{"a holiday, no window open (a hand-off without a message): due after the holiday",
			Conversation{State: StateWaiting, Opened: at(1, 16, 55)}, holiday,
			&Deadline{At: at(3, 9, 25), Kind: SLAFirstResponse}},
		{"without hours the same hand-off is due at 17:25",
			Conversation{State: StateWaiting, Opened: at(1, 16, 55), LastInbound: at(1, 16, 55)}, nil,
			&Deadline{At: at(1, 17, 25), Kind: SLAFirstResponse}},
		{"thursday evening: the window closes before Sunday's opening",
			Conversation{State: StateWaiting, Opened: at(3, 16, 55), LastInbound: at(3, 16, 55)}, hours,
			&Deadline{At: at(4, 16, 55), Kind: SLAWindow}},
		{"a message at night: next response counts from the opening",
			Conversation{State: StateAssigned, Opened: at(1, 9, 0), FirstReply: at(1, 9, 5), Awaiting: at(3, 22, 0), LastInbound: at(3, 22, 0)}, hours,
			&Deadline{At: at(3, 22, 0).Add(24 * time.Hour), Kind: SLAWindow}},
		{"a message before opening on a work day",
			Conversation{State: StateAssigned, Opened: at(1, 9, 0), FirstReply: at(1, 9, 5), Awaiting: at(3, 7, 0), LastInbound: at(3, 7, 0)}, hours,
			&Deadline{At: at(3, 11, 0), Kind: SLANextResponse}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeadlineOf(&tt.c, q, tt.hours)
			if (got == nil) != (tt.want == nil) || (got != nil && (!got.At.Equal(tt.want.At) || got.Kind != tt.want.Kind)) {
				t.Errorf("DeadlineOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}
