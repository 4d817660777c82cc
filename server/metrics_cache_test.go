package server

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The cached children are the vector's own: counts through the cache show in the vector.
func TestCountersCacheTheVectorsChildren(t *testing.T) {
	two := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "two"}, []string{"a", "b"})
	one := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "one"}, []string{"a"})
	c2, c1 := newCounters(two, false), newCounters(one, true)
	for range 3 {
		c2.with("x", "y").Inc()
		c1.with("ok", "").Inc()
	}
	c2.with("x", "z").Inc()
	if got := testutil.ToFloat64(two.WithLabelValues("x", "y")); got != 3 {
		t.Errorf("two{x,y} = %v, want 3", got)
	}
	if got := testutil.ToFloat64(two.WithLabelValues("x", "z")); got != 1 {
		t.Errorf("two{x,z} = %v, want 1", got)
	}
	if got := testutil.ToFloat64(one.WithLabelValues("ok")); got != 3 {
		t.Errorf("one{ok} = %v, want 3", got)
	}
	if c2.with("x", "y") != c2.with("x", "y") {
		t.Error("the cache returned different children for the same values")
	}
}
