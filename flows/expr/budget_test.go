package expr

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestExpressionsRunUnderABudget(t *testing.T) {
	vars := map[string]any{"a": "ab", "b": "cd", "n": 2, "list": []any{1, 2}}
	for _, tc := range []struct {
		name, src string
		budget    *Budget
		want      any
		over      string // text of the ErrBudget error; "" for success
	}{
		{"texts join", `vars.a + vars.b + "!"`, nil, "abcd!", ""},
		{"numbers add", `vars.n + 1`, nil, 3, ""},
		{"unknown numbers add", `vars.n + vars.n`, nil, 4, ""},
		{"small repeat", `repeat("ab", 3)`, nil, "ababab", ""},
		{"doubling text", `reduce(1..40, #acc + #acc, "x")`, nil, nil, "a text of 131072 bytes, over the limit of 65536"},
		{"doubling text, smaller limit", `reduce(1..40, #acc + #acc, vars.a)`, &Budget{MaxSize: 1000}, nil, "a text of 1024 bytes, over the limit of 1000"},
		{"huge repeat", `repeat("x", 100000000)`, nil, nil, "repeat would build 100000000 bytes"},
		{"huge range", `len(map(1..100000000, #))`, nil, nil, "more than 100000 list items"},
		{"nested loops", `len(map(1..1000, map(1..1000, #)))`, nil, nil, "more than 100000 list items"},
		{"smaller item limit", `len(map(1..100, #))`, &Budget{MaxItems: 50}, nil, "more than 50 list items"},
		{"time limit", `vars.a + vars.b`, &Budget{Timeout: time.Nanosecond}, nil, "over the limit of 1ns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := CompileExpr(tc.src, Pos{File: "f.yaml", Line: 7, Col: 9}, AnyType)
			if err != nil {
				t.Fatal(err)
			}
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			got, err := e.Eval(&Env{Vars: vars, Budget: tc.budget})
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Errorf("the evaluation allocated %d MB", grew>>20)
			}
			if tc.over == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if !equalValues(got, tc.want) {
					t.Errorf("= %#v, want %#v", got, tc.want)
				}
				return
			}
			if !errors.Is(err, ErrBudget) || !strings.Contains(err.Error(), tc.over) || !strings.HasPrefix(err.Error(), "f.yaml:7:9: ") {
				t.Errorf("err = %v, want ErrBudget at f.yaml:7:9 saying %q", err, tc.over)
			}
		})
	}
}

func equalValues(a, b any) bool {
	la, ok1 := a.([]any)
	lb, ok2 := b.([]any)
	if ok1 && ok2 {
		if len(la) != len(lb) {
			return false
		}
		for i := range la {
			if la[i] != lb[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestTemplateRendersUnderTheBudget(t *testing.T) {
	tpl := MustTemplate(`{{ reduce(1..30, #acc + #acc, "x") }}`)
	if _, err := tpl.Render(&Env{}); !errors.Is(err, ErrBudget) {
		t.Errorf("err = %v, want ErrBudget", err)
	}
}
