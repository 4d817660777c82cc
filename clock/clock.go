// Package clock provides the time sources the engine runs on: the wall clock for the
// server and a manual clock that the simulator and tests move, so no test waits for real
// time to pass.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time. Every component that reads the time (engine, store, sending,
// numbers, server) takes one, so that the simulator and tests run them all on a Manual
// clock they move by hand. Implementations must be safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns the current time.
func (Real) Now() time.Time { return time.Now() }

// Manual is a clock that moves only when told to. It is safe for concurrent use.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a manual clock set to start.
func NewManual(start time.Time) *Manual { return &Manual{now: start} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Set moves the clock to t.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.now = t
	m.mu.Unlock()
}

var (
	_ Clock = Real{}
	_ Clock = (*Manual)(nil)
)
