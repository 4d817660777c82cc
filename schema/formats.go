package schema

import (
	_ "embed"
	"slices"

	"github.com/wasla/wasla/campaigns/campaignfile"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/flowtest"
	"github.com/wasla/wasla/yamlfile"
)

// Format is one file format whose JSON Schema is checked in beside this package.
type Format struct {
	File  string // the schema's file name: flow.schema.json
	Title string // the schema's title
	// Spec returns the format's spec, the one its loader checks keys against.
	Spec func() *yamlfile.Spec
	// CheckedIn returns the checked-in schema, embedded in the package.
	CheckedIn func() []byte
}

// Formats returns every format whose schema `go generate ./schema` writes: flow files,
// conversation tests and the serve configuration. A new format (campaign files) adds a line.
func Formats() []Format {
	return []Format{
		{File: "flow.schema.json", Title: "wasla flow file", Spec: flows.FormatSpec, CheckedIn: File},
		{File: "test.schema.json", Title: "wasla conversation test", Spec: flowtest.FormatSpec, CheckedIn: TestsFile},
		{File: "config.schema.json", Title: "wasla configuration", Spec: config.FormatSpec, CheckedIn: ConfigFile},
		{File: "campaign.schema.json", Title: "wasla campaign", Spec: campaignfile.FormatSpec, CheckedIn: CampaignFile},
	}
}

// Generate returns the JSON Schema of f, from its spec.
func (f Format) Generate() ([]byte, error) { return GenerateSpec(f.Title, f.Spec()) }

// The checked-in schemas.
var (
	//go:embed flow.schema.json
	checkedInFlows []byte
	//go:embed test.schema.json
	checkedInTests []byte
	//go:embed config.schema.json
	checkedInConfig []byte
	//go:embed campaign.schema.json
	checkedInCampaign []byte
)

// CampaignFile returns the checked-in campaign.schema.json, the schema of campaign files.
func CampaignFile() []byte { return slices.Clone(checkedInCampaign) }

// File returns the checked-in flow.schema.json, the schema of flow and settings files.
func File() []byte { return slices.Clone(checkedInFlows) }

// TestsFile returns the checked-in test.schema.json, the schema of conversation test files
// (*.test.yaml).
func TestsFile() []byte { return slices.Clone(checkedInTests) }

// ConfigFile returns the checked-in config.schema.json, the schema of wasla serve's
// configuration file.
func ConfigFile() []byte { return slices.Clone(checkedInConfig) }
