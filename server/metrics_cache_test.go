package server

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The cached children are the vector's own: counts through the cache show in the vector.
func TestCountersCacheTheVectorsChildren(t *testing.T) {
	reg := prometheus.NewRegistry()
	two := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "two"}, []string{"a", "b"})
	one := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "one"}, []string{"a"})
	reg.MustRegister(two, one)
	c2, c1 := newCounters(two, false), newCounters(one, true)
	for range 3 {
		c2.with("x", "y").Inc()
		c1.with("ok", "").Inc()
	}
	c2.with("x", "z").Inc()
	if c2.with("x", "y") != c2.with("x", "y") {
		t.Error("the cache returned different children for the same values")
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetValue())
			}
			got[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = m.GetCounter().GetValue()
		}
	}
	for series, want := range map[string]float64{"two{x,y}": 3, "two{x,z}": 1, "one{ok}": 3} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v (all: %v)", series, got[series], want, got)
		}
	}
}
