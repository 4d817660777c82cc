package yamlfile

import "strings"

// Suggest returns the candidate closest to word, or "" when none is close enough to be the
// likely intent: within one edit for words of up to 4 characters, two up to 8, three
// beyond. It ignores case, and counts a swap of neighbouring characters as one edit, so
// "nmae" suggests "name". Every "did you mean" of wasla's loaders comes from here.
func Suggest(word string, candidates []string) string {
	lw := strings.ToLower(word)
	best, bestD := "", -1
	for _, c := range candidates {
		if c == word {
			continue
		}
		d := editDistance(lw, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 {
		return ""
	}
	n := len([]rune(word))
	limit := 1
	switch {
	case n > 8:
		limit = 3
	case n > 4:
		limit = 2
	}
	if bestD > limit {
		return ""
	}
	return best
}

// DidYouMean returns "; did you mean `x`?" for the closest candidate (Suggest), or "".
func DidYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return "; did you mean `" + s + "`?"
	}
	return ""
}

// editDistance is the optimal string alignment distance between a and b, counted in runes:
// insertions, deletions, substitutions and swaps of neighbours cost one each.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
