// Package schedule holds a human queue's opening schedule — time zone, weekly hours and
// holidays — and the arithmetic on open time that hand-offs and SLA clocks need: is the
// queue open now, when does it open next, and when is a target of so many open minutes
// due. The weekly hours are read by expr.ParseHours, the one parser of hours specs, so a
// queue's hours read like settings.business_hours and campaigns' sending hours.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/wasla/wasla/flows/expr"
	"github.com/wasla/wasla/normalize"
)

// searchDays bounds how far ahead NextOpen and AddOpen look for open time: a schedule
// closed for longer than this (holidays over a whole year) is treated as never open.
const searchDays = 400

// Schedule is when a queue has people to answer. The zero of each part is permissive: a
// nil Week is open at every hour, a nil Zone is UTC. It is immutable and safe for
// concurrent use.
type Schedule struct {
	Zone     *time.Location
	Week     *expr.Hours
	Holidays map[Date]bool // whole days closed, in Zone
}

// Date is a calendar day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// ParseDate reads a holiday: YYYY-MM-DD, with Arabic-Indic digits read as ASCII.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(normalize.Digits(s)))
	if err != nil {
		return Date{}, fmt.Errorf("holiday %q is not a date (write YYYY-MM-DD, e.g. 2026-09-23)", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

func (s *Schedule) zone() *time.Location {
	if s == nil || s.Zone == nil {
		return time.UTC
	}
	return s.Zone
}

// spans returns the open intervals of the day that starts at midnight day (in the zone),
// in minutes since midnight.
func (s *Schedule) spans(day time.Time) [][2]int {
	if s.Holidays[Date{day.Year(), day.Month(), day.Day()}] {
		return nil
	}
	if s.Week == nil {
		return [][2]int{{0, 24 * 60}}
	}
	return s.Week.Spans(day.Weekday())
}

// Open reports whether the queue is open at t. A nil schedule is always open.
func (s *Schedule) Open(t time.Time) bool {
	if s == nil {
		return true
	}
	local := t.In(s.zone())
	m := local.Hour()*60 + local.Minute()
	for _, sp := range s.spans(local) {
		if sp[0] <= m && m < sp[1] {
			return true
		}
	}
	return false
}

// NextOpen returns the first moment at or after t when the queue is open (t itself when it
// is open), and false when it opens on none of the next 400 days.
func (s *Schedule) NextOpen(t time.Time) (time.Time, bool) {
	return s.AddOpen(t, 0)
}

// AddOpen returns the moment when d of open time has passed since t: time while the queue
// is closed does not count, so an SLA target of 30 minutes set at 16:55 with a 17:00 close
// falls due at 09:25 on the next open day. With d = 0 it is the next opening. False when
// the schedule does not hold that much open time in the next 400 days.
func (s *Schedule) AddOpen(t time.Time, d time.Duration) (time.Time, bool) {
	if s == nil {
		return t.Add(d), true
	}
	loc := s.zone()
	local := t.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for range searchDays {
		for _, sp := range s.spans(day) {
			// Wall-clock moments, so a daylight-saving change inside the day moves
			// neither the opening nor the closing.
			from := time.Date(day.Year(), day.Month(), day.Day(), 0, sp[0], 0, 0, loc)
			to := time.Date(day.Year(), day.Month(), day.Day(), 0, sp[1], 0, 0, loc)
			if to.Before(t) || to.Equal(t) {
				continue
			}
			if from.Before(t) {
				from = t
			}
			if avail := to.Sub(from); d < avail || (d == avail && d > 0) {
				return from.Add(d), true
			}
			d -= to.Sub(from)
		}
		day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	}
	return time.Time{}, false
}

// English and Arabic day names, for the default out-of-hours message.
var (
	dayNamesEN = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	dayNamesAR = [7]string{"الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت"}
)

// ClosedMessage is the default text a closed queue's hand-off says: in Arabic and English,
// when the queue opens next ("we open Sunday 09:00"), in the queue's zone; without an
// opening in sight it only says that the team is away.
func (s *Schedule) ClosedMessage(now time.Time) string {
	at, ok := s.NextOpen(now)
	if !ok {
		return "فريقنا غير متاح الآن، وسنرد عليك في أقرب وقت. / Our team is away right now; we will answer you as soon as we can."
	}
	local := at.In(s.zone())
	clock := local.Format("15:04")
	return fmt.Sprintf("فريقنا خارج ساعات العمل الآن، ونفتح يوم %s الساعة %s. سنرد عليك حينها. / Our team is closed now; we open %s %s and will answer you then.",
		dayNamesAR[local.Weekday()], clock, dayNamesEN[local.Weekday()], clock)
}
