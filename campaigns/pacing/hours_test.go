package pacing

import (
	"testing"
	"time"
)

func TestHoursNext(t *testing.T) {
	riyadh, _ := time.LoadLocation("Asia/Riyadh")
	london, _ := time.LoadLocation("Europe/London")
	daily, err := ParseHours("daily 09:00-21:00")
	if err != nil {
		t.Fatal(err)
	}
	weekdays, err := ParseHours("sun-thu 10:00-14:00")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		h    *Hours
		at   time.Time
		loc  *time.Location
		want time.Time
	}{
		{"inside", daily, time.Date(2026, 3, 2, 12, 30, 15, 0, riyadh), riyadh, time.Date(2026, 3, 2, 12, 30, 15, 0, riyadh)},
		{"before opening", daily, time.Date(2026, 3, 2, 7, 10, 30, 0, riyadh), riyadh, time.Date(2026, 3, 2, 9, 0, 0, 0, riyadh)},
		{"after closing waits for tomorrow", daily, time.Date(2026, 3, 2, 21, 0, 0, 0, riyadh), riyadh, time.Date(2026, 3, 3, 9, 0, 0, 0, riyadh)},
		{"the contact's zone, not UTC", daily, time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC), riyadh, time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)},
		{"thursday night waits for sunday", weekdays, time.Date(2026, 3, 5, 15, 0, 0, 0, riyadh), riyadh, time.Date(2026, 3, 8, 10, 0, 0, 0, riyadh)},
		{"saturday wraps over the week", weekdays, time.Date(2026, 3, 7, 23, 59, 0, 0, riyadh), riyadh, time.Date(2026, 3, 8, 10, 0, 0, 0, riyadh)},
		{"across a clock change", daily, time.Date(2026, 3, 28, 22, 0, 0, 0, london), london, time.Date(2026, 3, 29, 9, 0, 0, 0, london)},
		{"nil allows any time", nil, time.Date(2026, 3, 2, 3, 0, 0, 0, riyadh), riyadh, time.Date(2026, 3, 2, 3, 0, 0, 0, riyadh)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.Next(tt.at, tt.loc); !got.Equal(tt.want) {
				t.Fatalf("Next(%v) = %v; want %v", tt.at, got.In(tt.loc), tt.want.In(tt.loc))
			}
		})
	}
}

func TestParseHoursErrors(t *testing.T) {
	for _, spec := range []string{"whenever", "daily 25:00-26:00"} {
		if _, err := ParseHours(spec); err == nil {
			t.Errorf("ParseHours(%q) = nil error", spec)
		}
	}
	if h, err := ParseHours(""); h != nil || err != nil {
		t.Errorf("ParseHours(\"\") = %v, %v; want nil, nil", h, err)
	}
}

func TestZones(t *testing.T) {
	fallback, _ := time.LoadLocation("Asia/Riyadh")
	z := NewZones(fallback)
	tests := []struct {
		name, contact, named, want string
		err                        bool
	}{
		{"calling code", "971501234567", "", "Asia/Dubai", false},
		{"plus one defaults to new york", "12025550123", "", "America/New_York", false},
		{"attribute wins", "971501234567", "Europe/London", "Europe/London", false},
		{"unknown code falls back", "99912345678", "", "Asia/Riyadh", false},
		{"a typo is an error", "971501234567", "Asia/Dubia", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second time from the cache
				loc, err := z.Of(chatID(tt.contact), tt.named)
				if (err != nil) != tt.err || (err == nil && loc.String() != tt.want) {
					t.Fatalf("Of = %v, %v; want %s (error %v)", loc, err, tt.want, tt.err)
				}
			}
		})
	}
}
