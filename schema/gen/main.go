// Command gen writes the JSON Schema of every format of schema.Formats (flow files,
// conversation tests, the serve configuration, campaign files) from the spec its loader checks keys
// against. Run it with `go generate ./schema`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasla/wasla/schema"
)

func main() {
	dir := flag.String("dir", "schema", "folder to write the schema files in")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	for _, f := range schema.Formats() {
		data, err := f.Generate()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, f.File), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
