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
)

// isTestFile reports whether name is a conversation test file.
func isTestFile(name string) bool {
	return strings.HasSuffix(name, ".test.yaml") || strings.HasSuffix(name, ".test.yml")
}

// findTestFiles returns the conversation test files under paths (each a test file or a
// folder searched recursively), sorted and without repeats.
func findTestFiles(paths []string) ([]string, error) {
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
			return nil, fmt.Errorf("finding tests: %w", err)
		}
		if !info.IsDir() {
			if !isTestFile(p) {
				return nil, fmt.Errorf("finding tests: %s is not a conversation test file (*.test.yaml)", p)
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
			if !d.IsDir() && isTestFile(d.Name()) {
				add(path)
			}
			return nil
		})
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe
			}
			return nil, fmt.Errorf("finding tests: %w", err)
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
