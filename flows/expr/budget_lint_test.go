package expr

import (
	"strings"
	"testing"
)

func TestBudgetWarnings(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`len(1..vars.n)`, `the range "1..vars.n" has a bound known only when it runs`},
		{`len(1..1000000)`, "the range 1..1000000 has 1000000 items, over the budget"},
		{`reduce(1..20, #acc + #acc, "x")`, "`#acc + #acc` doubles the value"},
		{`repeat("ab", vars.n)`, "repeat's count is known only when it runs"},
		{`len(1..10) + len(repeat("x", 3))`, ""},
		{`vars.a + vars.b`, ""},
	} {
		t.Run(tc.src, func(t *testing.T) {
			got := strings.Join(BudgetWarnings(tc.src), "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("BudgetWarnings(%q) = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}
