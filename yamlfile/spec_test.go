package yamlfile

import (
	"slices"
	"testing"
)

func TestSpecFieldsAndKeys(t *testing.T) {
	step := &Spec{Kind: KindObject, Fields: []*Field{
		{Name: "say", KindKey: true, Required: true},
		{Name: "id"},
		{Name: "save", Required: true, Why: "the variable"},
	}}
	if got := step.Names(); !slices.Equal(got, []string{"say", "id", "save"}) {
		t.Errorf("Names() = %v", got)
	}
	if got := step.KindKey(); got != "say" {
		t.Errorf("KindKey() = %q, want say", got)
	}
	if (&Spec{Kind: KindObject}).KindKey() != "" {
		t.Error("KindKey() of an object without a kind key is not empty")
	}
	if step.Field("id") == nil || step.Field("nope") != nil {
		t.Error("Field() finds the wrong fields")
	}
	tests := []struct {
		name    string
		present []string
		want    []string
	}{
		{"none given", nil, []string{"say", "save"}},
		{"one given", []string{"save"}, []string{"say"}},
		{"optional only", []string{"id"}, []string{"say", "save"}},
		{"all given", []string{"say", "save"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range step.Missing(func(k string) bool { return slices.Contains(tt.present, k) }) {
				got = append(got, f.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Missing = %v, want %v", got, tt.want)
			}
		})
	}
}
