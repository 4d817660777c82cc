package server

import (
	"context"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Reload loads the flows again and swaps them in. When the new set has any error the
// running flows stay, every diagnostic is logged, and the diagnostics are returned.
// Conversations in progress continue on the new set. Safe for concurrent use; reloads
// run one at a time.
func (s *Server) Reload(reason string) error {
	if s.d.LoadFlows == nil {
		return nil
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	// Remember what was read before reading it: a file changed during the load shows as
	// a change at the next scan.
	s.lastScan = scanFlows(s.d.FlowsPaths)
	start := time.Now()
	set, diags := s.d.LoadFlows()
	if diags.HasErrors() {
		for _, d := range diags {
			s.log.Error("flow reload: "+d.String(), slog.String("reason", reason))
		}
		errs, _ := diags.Count()
		s.log.Error("flow reload failed; the running flows stay", slog.String("reason", reason), slog.Int("errors", errs))
		s.metrics.reloads.WithLabelValues("error").Inc()
		return diags
	}
	for _, d := range diags {
		s.log.Warn("flow reload: "+d.String(), slog.String("reason", reason))
	}
	s.d.Engine.SetFlows(set)
	s.metrics.reloads.WithLabelValues("ok").Inc()
	s.log.Info("flows reloaded", slog.String("reason", reason), slog.Int("flows", len(set.Flows)),
		slog.Duration("took", time.Since(start)))
	return nil
}

// watchLoop polls the flows folder's files and reloads when one was added, removed or
// changed. Polling needs no platform notification API and costs one directory walk per
// interval.
func (s *Server) watchLoop(ctx context.Context) {
	s.everyTick(ctx, s.d.ReloadInterval, s.CheckFlows)
}

// CheckFlows reloads the flows when a flow file changed since the last load or check.
func (s *Server) CheckFlows() {
	now := scanFlows(s.d.FlowsPaths)
	s.reloadMu.Lock()
	changed := !maps.Equal(now, s.lastScan)
	s.reloadMu.Unlock()
	if changed {
		_ = s.Reload("file changed") // Reload logged every problem
	}
}

// fingerprint maps each YAML file under the flows paths to its size and modification
// time.
type fingerprint map[string]fileStamp

type fileStamp struct {
	size int64
	mod  int64 // UnixNano
}

func scanFlows(paths []string) fingerprint {
	fp := fingerprint{}
	for _, root := range paths {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fp[path] = fileStamp{size: -1} // unreadable: a change when it becomes readable
				return nil
			}
			if d.IsDir() {
				if path != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			ext := filepath.Ext(path)
			if ext != ".yaml" && ext != ".yml" {
				return nil
			}
			info, err := os.Stat(path)
			if err != nil {
				fp[path] = fileStamp{size: -1}
				return nil
			}
			fp[path] = fileStamp{size: info.Size(), mod: info.ModTime().UnixNano()}
			return nil
		})
	}
	return fp
}
