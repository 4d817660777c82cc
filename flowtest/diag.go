package flowtest

import (
	"strings"

	"github.com/wasla/wasla/yamlfile"
)

// didYouMean returns "; did you mean `x`?" for the candidate closest to got when it is a
// likely misspelling (yamlfile.Suggest, as flow diagnostics use), or otherwise "; expected one
// of a, b, c".
func didYouMean(got string, candidates []string) string {
	if s := yamlfile.Suggest(got, candidates); s != "" {
		return "; did you mean `" + s + "`?"
	}
	return "; expected one of " + strings.Join(candidates, ", ")
}
