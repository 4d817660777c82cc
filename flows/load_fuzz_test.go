package flows

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds the loader arbitrary bytes: it must never panic, every diagnostic must
// name the file and a place in it, and a set comes back exactly when there is no error.
func FuzzParse(f *testing.F) {
	good, _ := filepath.Glob("testdata/good/*.yaml")
	for _, p := range good {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	cases, _ := filepath.Glob("testdata/diag/*.txtar")
	for _, p := range cases {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, file := range parseArchive(data).files {
			if file.name != "want" {
				f.Add(file.data)
			}
		}
	}
	f.Add([]byte("flow: a\nsteps:\n  - &x {say: hi}\n  - *x\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, diags := Parse("fuzz.yaml", data)
		if (set == nil) != diags.HasErrors() {
			t.Fatalf("set is nil = %v, HasErrors = %v", set == nil, diags.HasErrors())
		}
		for _, d := range diags {
			if d.Pos.File != "fuzz.yaml" || d.Pos.Line <= 0 || d.Pos.Col <= 0 {
				t.Fatalf("diagnostic without a place: %+v", d)
			}
			if d.Message == "" {
				t.Fatalf("diagnostic without a message: %+v", d)
			}
		}
	})
}
