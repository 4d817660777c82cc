package expr

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/builtin"
)

// explain turns one of expr's compile messages into a sentence for the person who wrote the
// flow: Go type names become the names used in flows, names get backquotes, and unknown
// names get a "did you mean" from the names that exist there. off is the error's rune offset
// in src. Messages not recognised keep expr's wording with the type names cleaned.
func explain(msg, src string, off int) string {
	for _, r := range explainers {
		if m := r.re.FindStringSubmatch(msg); m != nil {
			return r.fn(m, src, off)
		}
	}
	return humanTypes(strings.TrimSpace(msg))
}

var explainers = []struct {
	re *regexp.Regexp
	fn func(m []string, src string, off int) string
}{
	{regexp.MustCompile(`^unknown name (\S+)$`), func(m []string, _ string, _ int) string {
		return "unknown name `" + m[1] + "`" + exprSuggestion(m[1], topLevelNames())
	}},
	{regexp.MustCompile(`^type (\S+) has no field (\S+)$`), func(m []string, _ string, _ int) string {
		owner, fields := describeType(m[1])
		return owner + " has no field `" + m[2] + "`" + exprSuggestion(m[2], fields)
	}},
	{regexp.MustCompile(`^type (\S+) has no method (\S+)$`), func(m []string, _ string, _ int) string {
		owner, _ := describeType(m[1])
		return owner + " has no method `" + m[2] + "`" + exprSuggestion(m[2], methodNames(m[1]))
	}},
	{regexp.MustCompile(`^unexpected token EOF$`), func([]string, string, int) string {
		return "the expression ends too early: something is missing here"
	}},
	{regexp.MustCompile(`^unexpected token (\w+)\((.*)\)$`), func(m []string, _ string, _ int) string {
		v, err := strconv.Unquote(m[2])
		if err != nil {
			v = m[2]
		}
		switch {
		case v == "=":
			return "unexpected `=` (write `==` to compare)"
		case v == "&":
			return "unexpected `&` (write `and` or `&&`)"
		case m[1] == "Identifier" || m[1] == "Number" || m[1] == "String":
			return "unexpected `" + v + "` (is an operator such as `==`, `and` or `+` missing before it?)"
		}
		return "unexpected `" + v + "`"
	}},
	{regexp.MustCompile(`^unrecognized character: U\+[0-9A-F]+ '(.*)'$`), func(m []string, _ string, _ int) string {
		hint := ""
		switch m[1] {
		case "&":
			hint = " (write `and` or `&&`)"
		case "|":
			hint = " (write `or` or `||`)"
		case "@", "$":
			hint = " (write names without a sign, like `vars.total`)"
		}
		return "the character `" + m[1] + "` is not allowed here" + hint
	}},
	{regexp.MustCompile(`^literal not terminated$`), func([]string, string, int) string { // positioned by unclosedQuote
		return "a quoted text is not closed: add the closing quote"
	}},
	{regexp.MustCompile(`^cannot use (.+) as argument \(type (.+)\) to call (\S+)\s*$`), func(m []string, _ string, _ int) string {
		return "`" + m[3] + "` expects " + humanTypes(m[2]) + " here, not " + humanTypes(m[1]) + signatureHint(m[3])
	}},
	{regexp.MustCompile(`^cannot use nil as argument \(type (.+)\) to call (\S+)\s*$`), func(m []string, _ string, _ int) string {
		return "`" + m[2] + "` expects " + humanTypes(m[1]) + " here, not nil" + signatureHint(m[2])
	}},
	{regexp.MustCompile(`^(not enough|too many) arguments to call (\S+)$`), func(m []string, _ string, _ int) string {
		return m[1] + " arguments to call `" + m[2] + "`" + signatureHint(m[2])
	}},
	{regexp.MustCompile(`^expected bool, but got (.+)$`), func(m []string, _ string, _ int) string {
		return "this must be a condition (true or false), but it gives " + humanTypes(m[1])
	}},
	{regexp.MustCompile(`^(.+) is not callable$`), func(m []string, src string, off int) string {
		name := identifierAt(src, off)
		if name == "now" {
			return "`now` is the current time, not a function: write `now` without ()"
		}
		if name != "" {
			return "`" + name + "` is " + humanTypes(m[1]) + ", not a function"
		}
		return humanTypes(m[1]) + " is not a function"
	}},
	{regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (.+) and (.+)\)$`), func(m []string, _ string, _ int) string {
		return "`" + m[1] + "` cannot be used between " + humanTypes(m[2]) + " and " + humanTypes(m[3])
	}},
}

// identifierAt returns the name starting at rune offset off of src, or "".
func identifierAt(src string, off int) string {
	rs := []rune(src)
	if off < 0 || off >= len(rs) {
		return ""
	}
	end := off
	for end < len(rs) && (rs[end] == '_' || rs[end] >= 'a' && rs[end] <= 'z' || rs[end] >= 'A' && rs[end] <= 'Z' || end > off && rs[end] >= '0' && rs[end] <= '9') {
		end++
	}
	return string(rs[off:end])
}

// envTypes names the types that expressions see by the path that reaches them.
func envTypes() map[string]reflect.Type {
	return map[string]reflect.Type{
		"env":     reflect.TypeFor[Env](),
		"message": reflect.TypeFor[MessageEnv](),
		"contact": reflect.TypeFor[ContactEnv](),
		"session": reflect.TypeFor[SessionEnv](),
	}
}

// exprFieldNames lists the names expressions use for t's fields (their expr tags).
func exprFieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Tag.Get("expr")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// topLevelNames are the names an expression can start with: Env's fields and the helpers.
func topLevelNames() []string {
	names := exprFieldNames(reflect.TypeFor[Env]())
	names = append(names, helperNames()...)
	names = append(names, builtin.Names...)
	return names
}

// describeType returns how a message should name the Go type t, and the fields it has.
func describeType(t string) (string, []string) {
	for path, typ := range envTypes() {
		if typ.String() == t {
			return "`" + path + "`", exprFieldNames(typ)
		}
	}
	return humanTypes(t), nil
}

// methodNames lists the exported methods of the Go types expressions can reach.
func methodNames(t string) []string {
	if t != "time.Time" {
		return nil
	}
	typ := reflect.TypeFor[time.Time]()
	names := make([]string, 0, typ.NumMethod())
	for i := range typ.NumMethod() {
		names = append(names, typ.Method(i).Name)
	}
	return names
}

// typeNames are Go type names as flow authors know them.
var typeNames = map[string]string{
	"map[string]interface {}": "map",
	"[]interface {}":          "list",
	"interface {}":            "any value",
	"map[string]string":       "map of text",
	"[]string":                "list of text",
	"string":                  "text",
	"int":                     "number",
	"int64":                   "number",
	"float64":                 "number",
	"bool":                    "true/false",
	"time.Time":               "time",
	"time.Duration":           "duration",
	"expr.MessageEnv":         "`message`",
	"expr.ContactEnv":         "`contact`",
	"expr.SessionEnv":         "`session`",
	"expr.Env":                "the environment",
}

// goType matches the Go type names in expr's messages.
var goType = regexp.MustCompile(`map\[string\](?:interface \{\}|string)|\[\](?:interface \{\}|string)|interface \{\}|\b(?:string|int|int64|float64|bool|time\.Time|time\.Duration|flows\.\w+)\b`)

// humanTypes renames Go types in s the way flow authors know them.
func humanTypes(s string) string {
	return goType.ReplaceAllStringFunc(s, func(t string) string {
		if h, ok := typeNames[t]; ok {
			return h
		}
		return t
	})
}

// exprSuggestion suggests the closest of candidates to name, as " (did you mean `x`?)", or
// "". On a tie the earlier candidate wins, so callers list the likelier names first.
func exprSuggestion(name string, candidates []string) string {
	best, bestDist := "", 0
	for _, c := range candidates {
		if c == name {
			continue
		}
		d := exprNameDistance(strings.ToLower(name), strings.ToLower(c))
		if best == "" || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 1
	if n := len([]rune(name)); n > 4 {
		limit = 2
	}
	if n := len([]rune(name)); n > 8 {
		limit = 3
	}
	if best == "" || bestDist > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean `%s`?)", best)
}

// exprNameDistance is the Damerau–Levenshtein distance (adjacent swaps count one) in runes.
func exprNameDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range rb {
		d[0][j+1] = j + 1
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
