package engine

import (
	"sync"

	"github.com/wasla/wasla/chat"
)

// contactLocks serialises the work of one contact inside this process while letting
// different contacts run in parallel. Entries are removed when no one holds or waits.
type contactLocks struct {
	mu sync.Mutex
	m  map[chat.ContactID]*contactLock
}

type contactLock struct {
	mu      sync.Mutex
	waiters int
}

func newContactLocks() *contactLocks {
	return &contactLocks{m: map[chat.ContactID]*contactLock{}}
}

func (l *contactLocks) lock(id chat.ContactID) (unlock func()) {
	l.mu.Lock()
	c := l.m[id]
	if c == nil {
		c = &contactLock{}
		l.m[id] = c
	}
	c.waiters++
	l.mu.Unlock()
	c.mu.Lock()
	return func() {
		c.mu.Unlock()
		l.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
}
