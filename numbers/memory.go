package numbers

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/wasla/wasla/chat"
)

// MemStates is a StateStore in memory, for one process without Redis and for tests. The
// zero value is ready; it is safe for concurrent use.
type MemStates struct {
	mu sync.Mutex
	m  map[chat.NumberID][]byte
}

// Get returns the stored state JSON, or nil when none is stored.
func (s *MemStates) Get(_ context.Context, id chat.NumberID) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.m[id]), nil
}

// Set stores the state JSON.
func (s *MemStates) Set(_ context.Context, id chat.NumberID, state []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[chat.NumberID][]byte{}
	}
	s.m[id] = slices.Clone(state)
	return nil
}

// IDs returns the ids with a stored state, for tests.
func (s *MemStates) IDs() []chat.NumberID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.m))
}
