package layers

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/wasla/wasla"

func TestDependenciesPointDown(t *testing.T) {
	tests := []struct {
		pkg    string
		forbid []string // import path prefixes that must not be among the package's dependencies
		only   []string // when set, the only packages of this module it may depend on
	}{
		{pkg: "./contact", only: []string{module + "/chat", module + "/contact"}},
		{pkg: "./store", forbid: []string{"github.com/expr-lang/", "gopkg.in/yaml", "go.yaml.in/", module + "/engine", module + "/flows"}},
		{pkg: "./routing", forbid: []string{"github.com/expr-lang/", "gopkg.in/yaml", "go.yaml.in/", module + "/engine", module + "/flows"}},
		{pkg: "./sending", forbid: []string{"github.com/expr-lang/", "gopkg.in/yaml", "go.yaml.in/", module + "/engine", module + "/flows"}},
		{pkg: "./numbers", forbid: []string{module + "/channels/", module + "/engine", module + "/flows"}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.pkg, "./"), func(t *testing.T) {
			deps := listDeps(t, tt.pkg)
			if len(deps) == 0 {
				t.Fatalf("go list -deps %s listed nothing", tt.pkg)
			}
			for _, d := range deps {
				for _, f := range tt.forbid {
					if strings.HasPrefix(d, f) {
						t.Errorf("%s depends on %s; it must not depend on %s*", tt.pkg, d, f)
					}
				}
				if tt.only != nil && strings.HasPrefix(d, module+"/") && !slices.Contains(tt.only, d) {
					t.Errorf("%s depends on %s; of this module it may depend only on %v", tt.pkg, d, tt.only)
				}
			}
		})
	}
}

// listDeps returns the import paths of pkg and everything it depends on (not its tests'),
// as the go command resolves them for this platform.
func listDeps(t *testing.T, pkg string) []string {
	t.Helper()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("finding the module root: %v", err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg)
	cmd.Dir = strings.TrimSpace(string(root))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
