package server

import (
	"testing"

	"github.com/wasla/wasla/config"
)

func TestSendWorkersKeepEveryNumberAtItsThroughput(t *testing.T) {
	tests := []struct {
		name    string
		workers int
		numbers []config.Number
		want    int
	}{
		{"default number: the inbound workers suffice", 16, []config.Number{{}}, 40},
		{"an upgraded number with Meta answering in up to 500ms", 16, []config.Number{{Throughput: 1000}}, 500},
		{"numbers add up", 16, []config.Number{{Throughput: 1000}, {Throughput: 80}}, 540},
		{"never fewer than the inbound workers", 64, []config.Number{{Throughput: 10}}, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &config.Config{Numbers: tt.numbers}
			cfg.Limits.Workers = tt.workers
			if got := sendWorkers(cfg); got != tt.want {
				t.Errorf("sendWorkers = %d, want %d", got, tt.want)
			}
		})
	}
}
