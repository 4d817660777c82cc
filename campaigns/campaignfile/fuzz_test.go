package campaignfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary text to the loader: it must never panic, and a file it
// accepts must have a name and at least one number.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/bad.campaign.yaml", "testdata/badexpr.campaign.yaml", "../../examples/campaign/ramadan.campaign.yaml", "../../examples/campaign/vip_eid.campaign.yaml"} {
		data, err := os.ReadFile(filepath.FromSlash(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\ntemplate: {name: t, language: ar}\naudience: {csv: a.csv}\nnumbers: [{id: \"1\"}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		camp, diags := Parse("f.campaign.yaml", data)
		if camp != nil && (diags != nil || camp.Name == "" || len(camp.Numbers) == 0) {
			t.Fatalf("accepted a campaign without a name or numbers: %+v %v", camp, diags)
		}
		if camp != nil && camp.Audience.CSV == "" && camp.Audience.Contacts == nil {
			t.Fatalf("accepted a campaign without an audience: %+v", camp.Audience)
		}
	})
}
