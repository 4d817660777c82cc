package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
)

// isTestFile reports whether name is a conversation test file.
func isTestFile(name string) bool {
	return strings.HasSuffix(name, ".test.yaml") || strings.HasSuffix(name, ".test.yml")
}

// findTestFiles returns the conversation test files under paths (each a test file or a
// folder searched recursively), sorted and without repeats.
func findTestFiles(paths []string) ([]string, error) {
	return findFiles(paths, isTestFile, "conversation test file (*.test.yaml)", "finding tests")
}

// findMocksFiles returns the simulator's mocks files (*.mocks.yaml) in the folders among
// paths; files named on their own are flows and are passed over.
func findMocksFiles(paths []string) ([]string, error) {
	var dirs []string
	for _, p := range paths {
		if info, err := os.Stat(trimEllipsis(p)); err == nil && info.IsDir() {
			dirs = append(dirs, p)
		}
	}
	return findFiles(dirs, flowtest.IsMocksFile, "mocks file (*.mocks.yaml)", "finding mocks")
}

// findFiles returns, sorted and once each, the files under paths whose names match: a
// path that is a file must match itself (else it is an error naming what was expected);
// folders are searched recursively, skipping hidden ones. action prefixes errors.
func findFiles(paths []string, match func(name string) bool, what, action string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		p = trimEllipsis(p)
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", action, err)
		}
		if !info.IsDir() {
			if !match(p) {
				return nil, fmt.Errorf("%s: %s is not a %s", action, p, what)
			}
			add(filepath.Clean(p))
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && match(d.Name()) {
				add(path)
			}
			return nil
		})
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe
			}
			return nil, fmt.Errorf("%s: %w", action, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// trimEllipsis drops a trailing "/..." (the go tool's "and everything below"), which
// folders mean here anyway: examples/... is examples.
func trimEllipsis(p string) string {
	if p == "..." {
		return "."
	}
	if strings.HasSuffix(p, "/...") || strings.HasSuffix(p, string(filepath.Separator)+"...") {
		return p[:len(p)-4]
	}
	return p
}

// isEllipsis reports whether p ends in "/..." or is "...".
func isEllipsis(p string) bool { return p != trimEllipsis(p) }

// flowFolders returns the folders under root that hold flow files themselves, without
// the folders below them (a flow set includes its subfolders): under examples/, each
// example's folder.
func flowFolders(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() && flows.IsFlowFile(e.Name()) {
				out = append(out, path)
				return filepath.SkipDir
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("finding flows: %w", err)
	}
	return out, nil
}
