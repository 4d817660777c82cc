package engine_test

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// memStore is an in-memory engine.Store for the engine's own tests. It stores JSON, as
// the Redis store does, so a test cannot pass by sharing pointers with the engine.
type memStore struct {
	mu      sync.Mutex
	states  map[chat.ContactID][]byte
	version map[chat.ContactID]int64
	history map[chat.ContactID][]chat.Event
	due     map[chat.ContactID]time.Time
	seen    map[string]bool
	commits int
}

func newMemStore() *memStore {
	return &memStore{
		states:  map[chat.ContactID][]byte{},
		version: map[chat.ContactID]int64{},
		history: map[chat.ContactID][]chat.Event{},
		due:     map[chat.ContactID]time.Time{},
		seen:    map[string]bool{},
	}
}

func (m *memStore) Load(_ context.Context, id chat.ContactID) (*engine.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := &engine.State{Contact: engine.Contact{ID: id}}
	if b, ok := m.states[id]; ok {
		if err := json.Unmarshal(b, st); err != nil {
			return nil, err
		}
	}
	st.Version = m.version[id]
	return st, nil
}

func (m *memStore) Commit(_ context.Context, st *engine.State, history []chat.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := st.Contact.ID
	if m.version[id] != st.Version {
		return engine.ErrConflict
	}
	for _, ev := range history {
		if ev.Inbound != nil && m.seen[ev.Inbound.ID] {
			return engine.ErrDuplicate
		}
	}
	for _, ev := range history {
		if ev.Inbound != nil {
			m.seen[ev.Inbound.ID] = true
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	m.states[id] = b
	m.version[id]++
	st.Version++
	m.history[id] = append(m.history[id], history...)
	if d := st.Session.NextDue(); d.IsZero() {
		delete(m.due, id)
	} else {
		m.due[id] = d
	}
	m.commits++
	return nil
}

func (m *memStore) Due(_ context.Context, now time.Time, limit int) ([]chat.ContactID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []chat.ContactID
	for id, d := range m.due {
		if !d.After(now) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

func (m *memStore) History(id chat.ContactID) []chat.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]chat.Event(nil), m.history[id]...)
}

// recorder is a Sender that keeps what the engine sent.
type recorder struct {
	mu   sync.Mutex
	sent []chat.Outbound
}

func (r *recorder) Send(_ context.Context, m chat.Outbound) error {
	r.mu.Lock()
	r.sent = append(r.sent, m)
	r.mu.Unlock()
	return nil
}

// take returns and forgets what was sent so far.
func (r *recorder) take() []chat.Outbound {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}
