// Command gen writes flow.schema.json from the flow-file definitions of package flows. Run
// it with `go generate ./schema`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/schema"
)

func main() {
	out := flag.String("o", "schema/flow.schema.json", "file to write")
	flag.Parse()
	data, err := schema.Generate(flows.FormatDefinitions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
