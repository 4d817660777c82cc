// Command gen writes flow.schema.json from the flow-file definitions of package flows,
// test.schema.json from the test-file definitions of package flowtest and
// config.schema.json from the configuration spec of package config and
// campaign.schema.json from the campaign file spec of package campaigns/campaignfile. Run it with
// `go generate ./schema`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
	"github.com/wasla/wasla/schema"
)

func main() {
	dir := flag.String("dir", "schema", "folder to write flow.schema.json, test.schema.json and config.schema.json in")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	flow, err := schema.Generate(flows.FormatDefinitions())
	if err != nil {
		return err
	}
	tests, err := schema.GenerateTests(flowtest.FormatDefinitions())
	if err != nil {
		return err
	}
	cfg, err := schema.GenerateSpec("wasla configuration", config.FormatSpec())
	if err != nil {
		return err
	}
	camp, err := schema.GenerateSpec("wasla campaign", campaignfile.FormatSpec())
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"flow.schema.json": flow, "test.schema.json": tests, "config.schema.json": cfg, "campaign.schema.json": camp} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
