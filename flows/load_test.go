package flows

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasla/wasla/yamlfile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ from what the code produces")

// archive is a txtar-style file: a comment, then files each introduced by a `-- name --`
// line. The golden tests keep a case's flow files and its expected diagnostics together.
type archive struct {
	comment string
	files   []archiveFile
}

type archiveFile struct {
	name string
	data []byte
}

func parseArchive(data []byte) archive {
	var a archive
	var cur *archiveFile
	var comment strings.Builder
	for _, line := range strings.SplitAfter(string(data), "\n") {
		trimmed := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			a.files = append(a.files, archiveFile{name: strings.TrimSpace(trimmed[3 : len(trimmed)-3])})
			cur = &a.files[len(a.files)-1]
			continue
		}
		if cur == nil {
			comment.WriteString(line)
		} else {
			cur.data = append(cur.data, line...)
		}
	}
	a.comment = comment.String()
	return a
}

func (a archive) format() []byte {
	var b bytes.Buffer
	b.WriteString(a.comment)
	for _, f := range a.files {
		b.WriteString("-- " + f.name + " --\n")
		b.Write(f.data)
		if len(f.data) > 0 && f.data[len(f.data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// TestDiagnosticsGolden loads the flow files of each testdata/diag/*.txtar case and
// compares the printed diagnostics with its `want` file, word for word.
func TestDiagnosticsGolden(t *testing.T) {
	paths, err := filepath.Glob("testdata/diag/*.txtar")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := parseArchive(data)
			files := map[string][]byte{}
			wantIdx := -1
			for i, f := range a.files {
				if f.name == "want" {
					wantIdx = i
					continue
				}
				files[f.name] = f.data
			}
			set, diags := ParseFiles(files)
			var got bytes.Buffer
			if err := diags.Print(&got); err != nil {
				t.Fatal(err)
			}
			if diags.HasErrors() != (set == nil) {
				t.Errorf("HasErrors() = %v but set is nil = %v", diags.HasErrors(), set == nil)
			}
			for _, d := range diags {
				if !d.Code.Valid() || d.Code == yamlfile.CodeInvalid {
					t.Errorf("%s has code %q; every flow diagnostic names its kind", d, d.Code)
				}
			}
			if *update {
				if wantIdx < 0 {
					a.files = append(a.files, archiveFile{name: "want"})
					wantIdx = len(a.files) - 1
				}
				a.files[wantIdx].data = got.Bytes()
				if err := os.WriteFile(path, a.format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatalf("%s has no `-- want --` section; run go test ./flows -run TestDiagnosticsGolden -update", path)
			}
			if want := string(a.files[wantIdx].data); got.String() != want {
				t.Errorf("diagnostics differ (run with -update to accept)\n--- got ---\n%s--- want ---\n%s", got.String(), want)
			}
		})
	}
}
