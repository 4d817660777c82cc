package flowtest

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/engine"
)

// memStore is an in-memory engine.Store for these tests. It keeps JSON, as the Redis store
// does, so nothing passes by sharing pointers with the engine.
type memStore struct {
	mu      sync.Mutex
	states  map[chat.ContactID][]byte
	version map[chat.ContactID]int64
	due     map[chat.ContactID]time.Time
}

func newMemStore(engine.Clock) (engine.Store, error) {
	return &memStore{
		states:  map[chat.ContactID][]byte{},
		version: map[chat.ContactID]int64{},
		due:     map[chat.ContactID]time.Time{},
	}, nil
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

func (m *memStore) Commit(_ context.Context, st *engine.State, _ []chat.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := st.Contact.ID
	if m.version[id] != st.Version {
		return engine.ErrConflict
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	m.states[id] = b
	m.version[id]++
	st.Version++
	if d := st.Session.NextDue(); d.IsZero() {
		delete(m.due, id)
	} else {
		m.due[id] = d
	}
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
