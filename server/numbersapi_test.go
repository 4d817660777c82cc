package server

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestNumbersOpenAPIMatches checks docs/numbers.openapi.yaml against the routes served
// and the rows' JSON fields, both ways.
func TestNumbersOpenAPIMatches(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "docs", "numbers.openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]map[string]any `yaml:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Properties map[string]any `yaml:"properties"`
					Items      struct {
						Properties map[string]any `yaml:"properties"`
					} `yaml:"items"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(documented)
	if served := slices.Sorted(slices.Values(NumbersRoutes)); !slices.Equal(documented, served) {
		t.Errorf("the OpenAPI file documents %v; the API serves %v", documented, served)
	}
	props := doc.Components.Schemas["Number"].Properties
	check := func(what string, typ reflect.Type, documented map[string]any) {
		var fields []string
		for f := range typ.Fields() {
			fields = append(fields, strings.Split(f.Tag.Get("json"), ",")[0])
		}
		slices.Sort(fields)
		names := slices.Sorted(maps.Keys(documented))
		if !slices.Equal(fields, names) {
			t.Errorf("%s: the JSON has %v; the OpenAPI file documents %v", what, fields, names)
		}
	}
	top := map[string]any{}
	for k := range props {
		top[k] = nil
	}
	check("Number", reflect.TypeFor[NumberRow](), top)
	check("Number.today", reflect.TypeFor[NumberDay](), props["today"].Properties)
	check("Number.campaigns", reflect.TypeFor[NumberCampaign](), props["campaigns"].Items.Properties)
}
