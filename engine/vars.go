package engine

import "math"

// maxExactInt bounds the whole numbers a float64 holds exactly (2^53).
const maxExactInt = 1 << 53

// wholeNumbers turns every whole float64 in v (a variable's value: JSON decoded, nested
// maps and lists included) into an int, in place where it can, and returns the result.
//
// Stores keep state as JSON, so a number a flow set as 10 comes back as 10.0, and so do
// the numbers of an http answer. Expressions treat the two differently: `vars.n % 2`
// works on an int and fails on a float64. Reading whole numbers as ints makes a variable
// behave the same in the message that set it and in every later one.
func wholeNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && x >= -maxExactInt && x <= maxExactInt {
			return int(x)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = wholeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = wholeNumbers(e)
		}
	}
	return v
}
