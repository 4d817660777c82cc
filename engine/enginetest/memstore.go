package enginetest

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/contact"
)

// MemStore is an in-memory engine.Store. It keeps states as JSON, as the Redis store does,
// so a test cannot pass by sharing pointers with the engine, and variables come back as
// JSON types. Like the Redis store it refuses an inbound message id the contact has
// committed before with contact.ErrDuplicate (checked first, whatever the version), then a
// stale version with contact.ErrConflict. It forgets nothing: there is no dedupe period and
// no history retention. The zero value is ready to use and safe for concurrent use.
type MemStore struct {
	mu      sync.Mutex
	states  map[chat.ContactID][]byte
	version map[chat.ContactID]int64
	history map[chat.ContactID][]chat.Event
	due     map[chat.ContactID]time.Time
	seen    map[chat.ContactID]map[string]bool
}

// Load returns the contact's state, or a fresh one at version 0.
func (m *MemStore) Load(_ context.Context, id chat.ContactID) (*contact.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := &contact.State{Contact: contact.Contact{ID: id}}
	if b, ok := m.states[id]; ok {
		if err := json.Unmarshal(b, st); err != nil {
			return nil, err
		}
	}
	st.Version = m.version[id]
	return st, nil
}

// Commit stores st, appends history and indexes the session's earliest timer, or writes
// nothing and returns contact.ErrDuplicate or contact.ErrConflict.
func (m *MemStore) Commit(_ context.Context, st *contact.State, history []chat.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := st.Contact.ID
	for _, in := range inboundIDs(history) {
		if m.seen[id][in] {
			return contact.ErrDuplicate
		}
	}
	if m.version[id] != st.Version {
		return contact.ErrConflict
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if m.states == nil {
		m.states = map[chat.ContactID][]byte{}
		m.version = map[chat.ContactID]int64{}
		m.history = map[chat.ContactID][]chat.Event{}
		m.due = map[chat.ContactID]time.Time{}
		m.seen = map[chat.ContactID]map[string]bool{}
	}
	for _, in := range inboundIDs(history) {
		if m.seen[id] == nil {
			m.seen[id] = map[string]bool{}
		}
		m.seen[id][in] = true
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
	return nil
}

// inboundIDs returns the ids of the inbound messages of history, the ones a store
// deduplicates; messages without an id are not deduplicated.
func inboundIDs(history []chat.Event) []string {
	var ids []string
	for _, ev := range history {
		if id := ev.DeliveryID(); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// Due returns up to limit contacts whose earliest timer is at or before now, earliest
// first (ties by contact id), as the Redis store's sorted set does.
func (m *MemStore) Due(_ context.Context, now time.Time, limit int) ([]chat.ContactID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []chat.ContactID
	for id, d := range m.due {
		if !d.After(now) {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b chat.ContactID) int {
		return cmp.Or(m.due[a].Compare(m.due[b]), cmp.Compare(a, b))
	})
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// History returns a copy of everything committed to the contact's history, in commit order.
func (m *MemStore) History(id chat.ContactID) []chat.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.history[id])
}
