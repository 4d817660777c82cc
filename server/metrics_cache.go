package server

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// counters caches the children of a counter vector with two labels (one label: pass ""
// as the second value and build the vector with one label name). WithLabelValues hashes
// the values and takes the vector's lock on every call; the hot path — every webhook,
// message and reply — names the same few series over and over, so their children are
// looked up once and then read from a map without allocating.
type counters struct {
	vec *prometheus.CounterVec
	one bool // the vector has one label

	mu sync.RWMutex
	m  map[[2]string]prometheus.Counter
}

func newCounters(vec *prometheus.CounterVec, oneLabel bool) *counters {
	return &counters{vec: vec, one: oneLabel, m: map[[2]string]prometheus.Counter{}}
}

// with returns the counter of the label values a (and b, for two labels).
func (c *counters) with(a, b string) prometheus.Counter {
	k := [2]string{a, b}
	c.mu.RLock()
	ctr, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return ctr
	}
	if c.one {
		ctr = c.vec.WithLabelValues(a)
	} else {
		ctr = c.vec.WithLabelValues(a, b)
	}
	c.mu.Lock()
	c.m[k] = ctr
	c.mu.Unlock()
	return ctr
}
